use clap::Parser as _;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // A missing .env is normal in production, where the environment is set directly.
    let _ = dotenvy::dotenv();
    let log_json = std::env::var("NEEDFUL_LOG_FORMAT").is_ok_and(|v| v == "json");
    let cli = needful::cli::Cli::parse();
    if cli.is_demo() {
        needful::telemetry::init_logging_with(log_json, "warn");
    } else {
        needful::telemetry::init_logging(log_json);
    }
    match needful::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("needful: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
