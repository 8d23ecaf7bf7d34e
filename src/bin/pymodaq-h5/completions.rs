//! `completions SHELL` and `man`: shell completion scripts and the man page, generated from the
//! clap definition (so they never drift from the commands).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::CommandFactory;

#[derive(clap::Args)]
#[command(after_help = "Examples:
  pymodaq-h5 completions bash > ~/.local/share/bash-completion/completions/pymodaq-h5
  pymodaq-h5 completions zsh > ~/.zfunc/_pymodaq-h5")]
pub struct CompletionArgs {
    /// The shell.
    shell: clap_complete::Shell,
}

#[derive(clap::Args)]
#[command(after_help = "Examples:
  pymodaq-h5 man | man -l -
  pymodaq-h5 man --dir /usr/local/share/man/man1    # one page per command
  pymodaq-h5 man --dir ~/.local/share/man/man1 --force   # replace the pages of an older version")]
pub struct ManArgs {
    /// Write pymodaq-h5.1 and one pymodaq-h5-COMMAND.1 per command into this directory
    /// instead of printing the main page.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Replace pages that already exist in DIR.
    #[arg(long, requires = "dir")]
    force: bool,
}

pub fn completions(a: CompletionArgs) -> anyhow::Result<ExitCode> {
    let mut cmd = crate::Cli::command();
    clap_complete::generate(a.shell, &mut cmd, "pymodaq-h5", &mut std::io::stdout());
    Ok(ExitCode::SUCCESS)
}

pub fn man(a: ManArgs) -> anyhow::Result<ExitCode> {
    let cmd = crate::Cli::command();
    match a.dir {
        None => {
            clap_mangen::Man::new(cmd).render(&mut std::io::stdout())?;
        }
        Some(dir) => {
            std::fs::create_dir_all(&dir)?;
            // The overwrite rule of every command: the pages are generated beside, then
            // renamed in; an existing page is refused (before any is replaced) without --force.
            let tmp = dir.join(format!(".pymodaq-h5-man-tmp.{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&tmp);
            std::fs::create_dir(&tmp)?;
            let moved = (|| -> anyhow::Result<()> {
                clap_mangen::generate_to(cmd, &tmp)?;
                let mut pages = Vec::new();
                for e in std::fs::read_dir(&tmp)? {
                    pages.push(e?.file_name());
                }
                pages.sort();
                for p in &pages {
                    crate::output::refuse_existing(&dir.join(p), a.force)?;
                }
                for p in &pages {
                    std::fs::rename(tmp.join(p), dir.join(p))?;
                }
                Ok(())
            })();
            let _ = std::fs::remove_dir_all(&tmp);
            moved?;
            eprintln!("wrote man pages to {}", dir.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
