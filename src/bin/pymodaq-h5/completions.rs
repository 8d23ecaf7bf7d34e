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
  pymodaq-h5 man --dir /usr/local/share/man/man1    # one page per command")]
pub struct ManArgs {
    /// Write pymodaq-h5.1 and one pymodaq-h5-COMMAND.1 per command into this directory
    /// instead of printing the main page.
    #[arg(long)]
    dir: Option<PathBuf>,
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
            clap_mangen::generate_to(cmd, &dir)?;
            eprintln!("wrote man pages to {}", dir.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
