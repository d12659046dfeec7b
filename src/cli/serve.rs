//! `idf serve`: the HTTP API (feature `server`), with Kafka events (feature `kafka`).

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::Args;

use idf::jobs::config::Config;

/// The flags of `idf serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: String,
    /// Configuration file: its `Serve` limits, `Diffusion` defaults and `Validation` tolerances.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Requests that may wait for or hold the device at once (overrides Serve.queue).
    #[arg(long)]
    queue: Option<usize>,
    /// Longest a request may take, in seconds (overrides Serve.timeoutS).
    #[arg(long)]
    timeout_s: Option<u64>,
    /// Most sites in one request (overrides Serve.maxSites).
    #[arg(long)]
    max_sites: Option<usize>,
    /// Most site evaluations in one request (overrides Serve.maxWork).
    #[arg(long)]
    max_work: Option<u64>,
    /// Largest request body in bytes (overrides Serve.maxBodyBytes).
    #[arg(long)]
    max_body_bytes: Option<usize>,
    /// Run every /diffuse request alone (overrides Serve.batch).
    #[arg(long)]
    no_batch: bool,
    /// auto, gpu or cpu (default: IDF_BACKEND, else auto).
    #[arg(long)]
    backend: Option<String>,
    /// A forecaster checkpoint (`idf train --forecast`): POST /predict then forecasts with it
    /// instead of the physics rollout.
    #[cfg(feature = "neural")]
    #[arg(long, value_name = "CKPT")]
    checkpoint: Option<PathBuf>,
    /// Print the OpenAPI document and exit.
    #[arg(long)]
    openapi: bool,
    /// Kafka brokers (host:port, comma-separated) to publish request events to (default:
    /// IDF_KAFKA_BROKERS; none: no events).
    #[cfg(feature = "kafka")]
    #[arg(long)]
    kafka: Option<String>,
}

/// Runs `idf serve` until Ctrl-C, then finishes the requests in flight.
pub fn run(args: ServeArgs) -> Result<()> {
    if args.openapi {
        print!("{}", idf::api::openapi_yaml());
        return Ok(());
    }
    let mut config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    let serve = &mut config.serve;
    serve.queue = args.queue.unwrap_or(serve.queue);
    serve.timeout_s = args.timeout_s.unwrap_or(serve.timeout_s);
    serve.max_sites = args.max_sites.unwrap_or(serve.max_sites);
    serve.max_work = args.max_work.unwrap_or(serve.max_work);
    serve.max_body_bytes = args.max_body_bytes.unwrap_or(serve.max_body_bytes);
    serve.batch &= !args.no_batch;
    // The flags are checked like the file's keys.
    let config = Config::parse(
        &serde_yaml::to_string(&config)?,
        std::path::Path::new("--flags"),
    )?;
    let limits = idf::api::Limits::from(&config.serve);
    #[cfg(feature = "kafka")]
    let brokers = args
        .kafka
        .clone()
        .or_else(|| std::env::var("IDF_KAFKA_BROKERS").ok());
    let ctx = super::context(args.backend.as_deref())?;
    // The forecaster's network is made on the device chosen here, so choose it first.
    #[cfg(feature = "neural")]
    if args.checkpoint.is_some() {
        if ctx.adapter_info().is_some() {
            super::denoiser::warn_network_on_cpu("the server's GPU");
        }
        idf::neural::use_context(&ctx)?;
    }
    #[cfg(feature = "neural")]
    let forecaster = args
        .checkpoint
        .as_deref()
        .map(idf::jobs::denoiser::forecast::Forecaster::load)
        .transpose()?;
    // IDF_API_TOKEN, when set, is the bearer token every route but /healthz requires.
    let token = std::env::var("IDF_API_TOKEN")
        .ok()
        .filter(|t| !t.is_empty());
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let addr = &args.addr;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        eprintln!(
            "idf serve: listening on http://{} ({})",
            listener.local_addr()?,
            ctx.describe()
        );
        let state = idf::api::ApiState::new(ctx, config, limits, token);
        #[cfg(feature = "neural")]
        if let Some(forecaster) = forecaster {
            eprintln!(
                "idf serve: POST /predict forecasts with {}",
                forecaster.path.display()
            );
            state.set_forecaster(forecaster);
        }
        #[cfg(feature = "kafka")]
        if let Some(brokers) = &brokers {
            state.enable_kafka(brokers);
            eprintln!(
                "idf serve: publishing request events to Kafka at {brokers} ({})",
                idf::api::events::TOPIC
            );
        }
        // SIGINT (Ctrl-C) or SIGTERM (what Kubernetes sends) drains: accepted requests are
        // answered within the request timeout and a grace period.
        let shutdown = async {
            #[cfg(unix)]
            let terminate = async {
                use tokio::signal::unix::{signal, SignalKind};
                match signal(SignalKind::terminate()) {
                    Ok(mut term) => {
                        term.recv().await;
                    }
                    Err(_) => std::future::pending::<()>().await,
                }
            };
            #[cfg(not(unix))]
            let terminate = std::future::pending::<()>();
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate => {}
            }
            eprintln!("idf serve: shutting down after the requests in flight");
        };
        idf::api::serve(listener, state, shutdown).await?;
        Ok(())
    })
}
