//! Shared by the end-to-end tests: fresh databases on both backends, the
//! kernel binary on a free port, and a small HTTP client.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;
use sqlx::Connection;

/// A database for one test; dropped databases are removed.
pub struct TestDatabase {
    pub name: &'static str,
    /// `None` means embedded SQLite in the kernel's data folder.
    pub url: Option<String>,
    admin_url: Option<String>,
    database: Option<String>,
}

impl TestDatabase {
    pub fn is_postgres(&self) -> bool {
        self.url.is_some()
    }

    /// A URL the library's `Store::open` accepts, SQLite in `data_dir` or PostgreSQL.
    pub fn store_url(&self, data_dir: &Path) -> String {
        self.url.clone().unwrap_or_else(|| format!("sqlite://{}?mode=rwc", data_dir.join("qianyue.db").display()))
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let (Some(admin), Some(database)) = (self.admin_url.clone(), self.database.clone()) {
            // Best effort: a failed drop leaves a uniquely named database behind, nothing worse.
            let _ = std::thread::spawn(move || {
                tokio::runtime::Runtime::new().unwrap().block_on(async {
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                        let sql = format!("DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
                        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await;
                    }
                })
            })
            .join();
        }
    }
}

/// SQLite always; PostgreSQL too when `QIANYUE_TEST_DATABASE_URL` is set, each
/// test in a database of its own so tests run in parallel.
pub async fn databases() -> Vec<TestDatabase> {
    let mut all = vec![TestDatabase { name: "sqlite", url: None, admin_url: None, database: None }];
    match std::env::var("QIANYUE_TEST_DATABASE_URL") {
        Ok(admin) if !admin.is_empty() => {
            let database = format!("qianyue_test_{}", uuid::Uuid::now_v7().simple());
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .unwrap_or_else(|e| panic!("QIANYUE_TEST_DATABASE_URL is set but does not connect: {e}"));
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{database}\"")))
                .execute(&mut conn)
                .await
                .unwrap();
            let base = admin.rsplit_once('/').map(|(base, _)| base).unwrap_or(&admin);
            all.push(TestDatabase {
                name: "postgres",
                url: Some(format!("{base}/{database}")),
                admin_url: Some(admin.clone()),
                database: Some(database),
            });
        }
        _ => eprintln!("QIANYUE_TEST_DATABASE_URL not set: PostgreSQL part skipped"),
    }
    all
}

pub fn qianyue() -> Command {
    Command::new(env!("CARGO_BIN_EXE_qianyue"))
}

/// A running `qianyue serve`, killed when dropped.
pub struct Server {
    child: Child,
    pub base: String,
    pub data_dir: PathBuf,
}

impl Server {
    /// Starts the kernel on a free port with `args` and waits until it listens.
    pub fn start(data_dir: &Path, database: &TestDatabase, args: &[&str]) -> Server {
        let mut command = qianyue();
        command.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"]).arg(data_dir).args(args);
        if let Some(url) = &database.url {
            command.args(["--database-url", url]);
        }
        let mut child = command
            .env_remove("QIANYUE_DATABASE_URL")
            .env_remove("QIANYUE_TOKEN_SECRET")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("the kernel did not start: {line:?}"))
            .to_owned();
        Server { child, base, data_dir: data_dir.to_owned() }
    }

    /// A token from `qianyue token issue`, as the README does it.
    pub fn token(&self, args: &[&str]) -> String {
        let output = qianyue()
            .args(["token", "issue", "--data-dir"])
            .arg(&self.data_dir)
            .args(args)
            .env_remove("QIANYUE_TOKEN_SECRET")
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An answer: status, content type, `Allow` header and JSON body (or the
/// text, when it is not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub allow: Option<String>,
    pub body: Value,
}

impl Answer {
    fn from_parts(status: u16, headers: &axum::http::HeaderMap, bytes: &[u8]) -> Answer {
        let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_owned());
        let body =
            serde_json::from_slice(bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into()));
        Answer { status, content_type: header("content-type").unwrap_or_default(), allow: header("allow"), body }
    }

    /// Asserts a problem document with `status` and type `/problems/{kind}`,
    /// and returns its detail: the status alone cannot tell a refusal by the
    /// policies (`forbidden`) from a fact withheld from a plugin.
    #[track_caller]
    pub fn problem(&self, status: u16, kind: &str) -> &str {
        assert_eq!(self.status, status, "{:#}", self.body);
        assert_eq!(self.content_type, "application/problem+json", "{:#}", self.body);
        assert_eq!(self.body["status"], status);
        assert_eq!(self.body["type"], format!("/problems/{kind}"), "{:#}", self.body);
        self.body["detail"].as_str().unwrap()
    }

    #[track_caller]
    pub fn ok(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "{:#}", self.body);
        &self.body
    }
}

/// A request to a router in this process (a kernel on a fixed clock, say).
pub async fn send(app: &axum::Router, request: axum::http::Request<axum::body::Body>) -> Answer {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let response = app.clone().oneshot(request).await.unwrap();
    let (status, headers) = (response.status().as_u16(), response.headers().clone());
    Answer::from_parts(status, &headers, &response.into_body().collect().await.unwrap().to_bytes())
}

/// The same, as `request` builds it.
pub async fn call(app: &axum::Router, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Answer {
    let mut request = axum::http::Request::builder().method(method).uri(path);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let body = match body {
        Some(body) => {
            request = request.header("content-type", "application/json");
            axum::body::Body::from(body.to_string())
        }
        None => axum::body::Body::empty(),
    };
    send(app, request.body(body).unwrap()).await
}

pub async fn request(method: &str, url: &str, token: Option<&str>, body: Option<Value>) -> Answer {
    let client = reqwest::Client::new();
    let mut request = client.request(method.parse().unwrap(), url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let (status, headers) = (response.status().as_u16(), response.headers().clone());
    Answer::from_parts(status, &headers, &response.bytes().await.unwrap())
}

/// A kernel in this process on `database`, with the demo region and the
/// bundled plugins loaded, plus any extra plugin components.
pub async fn kernel(
    database: &TestDatabase,
    data_dir: &Path,
    extra_plugins: &[&Path],
) -> std::sync::Arc<qianyue::Kernel> {
    kernel_on(database, data_dir, extra_plugins, qianyue::kernel::Clock::System).await
}

/// The same, living on the day `clock` says (the demo region, if loaded
/// now, is registered as of that day's year).
pub async fn kernel_on(
    database: &TestDatabase,
    data_dir: &Path,
    extra_plugins: &[&Path],
    clock: qianyue::kernel::Clock,
) -> std::sync::Arc<qianyue::Kernel> {
    use qianyue::plugins::{CACHE_BYTES, Limits, PluginHost};
    // The bundled plugins compiled and snapshotted once for every test, as a
    // restarted kernel finds them in its data folder.
    let cache = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugin-cache");
    let host = PluginHost::cached(Limits::default(), &cache, CACHE_BYTES).unwrap();
    kernel_hosting(database, data_dir, extra_plugins, clock, host).await
}

/// The same, with its plugins in `host`.
pub async fn kernel_hosting(
    database: &TestDatabase,
    data_dir: &Path,
    extra_plugins: &[&Path],
    clock: qianyue::kernel::Clock,
    host: qianyue::plugins::PluginHost,
) -> std::sync::Arc<qianyue::Kernel> {
    let store = qianyue::store::Store::open(&database.store_url(data_dir)).await.unwrap();
    qianyue::demo::load(&store, clock.today().year()).await.unwrap();
    let kernel = qianyue::Kernel {
        store,
        plugins: std::sync::Arc::new(host),
        authz: qianyue::authz::Policies::new(qianyue::authz::Authorizer::bundled().unwrap()),
        tokens: qianyue::tokens::TokenKeys::from_secret(&[42; 32]),
        clock,
    };
    kernel.install_bundled_plugins().await.unwrap();
    for path in extra_plugins {
        kernel.install_plugin_file(path).await.unwrap();
    }
    kernel.load_plugin_activations().await.unwrap();
    std::sync::Arc::new(kernel)
}

pub fn member(county: &str, team: &str) -> qianyue::authz::Principal {
    let member = person(county, qianyue::authz::Role::TeamMember, Some(team));
    qianyue::authz::Principal { subject: format!("member-of-{team}"), ..member }
}

pub fn regional_admin() -> qianyue::authz::Principal {
    qianyue::authz::Principal {
        subject: "region-it".into(),
        role: qianyue::authz::Role::RegionalAdmin,
        county: None,
        team: None,
        duty: None,
        institution: None,
    }
}

pub fn county_admin(county: &str) -> qianyue::authz::Principal {
    let admin = person(county, qianyue::authz::Role::CountyAdmin, None);
    qianyue::authz::Principal { subject: format!("admin-of-{county}"), ..admin }
}

/// Someone of `county` acting in `role` (in `team`, if given), named after
/// the role: inspectors, village doctors, finance.
pub fn person(county: &str, role: qianyue::authz::Role, team: Option<&str>) -> qianyue::authz::Principal {
    qianyue::authz::Principal {
        subject: format!("{role:?}-of-{county}"),
        role,
        county: Some(county.into()),
        team: team.map(Into::into),
        duty: None,
        institution: None,
    }
}

/// A delivered item, as a team enters it at its township centre.
pub fn delivery(
    package: &str,
    item: &str,
    on: time::Date,
    measurements: qianyue::fulfilment::Measurements,
) -> qianyue::fulfilment::NewServiceRecord {
    qianyue::fulfilment::NewServiceRecord {
        package_code: package.into(),
        item_code: item.into(),
        delivered_on: on,
        place: "安国镇卫生院".into(),
        mode: qianyue::fulfilment::ServiceMode::Individual,
        measurements,
        corrects: None,
    }
}

/// A fasting glucose test of Pei's chronic-disease package, in 0.1 mmol/L.
pub fn glucose_test(on: time::Date, tenths: u16) -> qianyue::fulfilment::NewServiceRecord {
    let measured = qianyue::fulfilment::Measurements { fasting_glucose: Some(tenths), ..Default::default() };
    delivery("PEI-MB", "fasting-glucose", on, measured)
}

/// A signing request for the current period.
pub fn sign(resident: &str, team: &str, packages: &[&str]) -> qianyue::kernel::SignRequest {
    qianyue::kernel::SignRequest {
        resident_id: resident.into(),
        team_id: team.into(),
        packages: packages.iter().map(|p| (*p).to_owned()).collect(),
    }
}

/// Registers a licensed GP and forms a team at 安国镇卫生院 with this capacity.
pub async fn small_team(k: &qianyue::Kernel, capacity_residents: i64) -> String {
    let admin = county_admin(qianyue::demo::PEI);
    let gp = qianyue::org::Member {
        id: format!("gp-{capacity_residents}"),
        county_code: String::new(),
        institution_id: "pei-anguo".into(),
        name: "吴医生".into(),
        licensed_gp: true,
    };
    k.register_member(&admin, qianyue::demo::PEI, gp.clone()).await.unwrap();
    let team = qianyue::kernel::NewTeam {
        institution_id: "pei-anguo".into(),
        name: "安国镇小团队".into(),
        members: vec![qianyue::org::Membership { member_id: gp.id, role: qianyue::org::MemberRole::GpLeader }],
        capacity_households: None,
        capacity_residents: Some(capacity_residents),
    };
    k.create_team(&admin, qianyue::demo::PEI, team).await.unwrap().id
}

/// A ten-minute token of `who` from `kernel`'s keys.
pub fn token_of(kernel: &qianyue::Kernel, who: &qianyue::authz::Principal) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    kernel.tokens.issue(who, now, 600).unwrap()
}
