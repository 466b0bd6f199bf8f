//! `kg mcp` as a client sees it: rmcp's own client over a child process in both protocol
//! lifecycles (the `2025-11-25` initialize handshake and `2026-07-28` discovery), the raw wire,
//! a root it must refuse, and servers that answer beside a running `kg index`.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rmcp::model::{CallToolRequestParams, CallToolResult, ProtocolVersion};
use rmcp::service::RunningService;
use rmcp::transport::TokioChildProcess;
use rmcp::{ClientLifecycleMode, ClientServiceExt, RoleClient};
use serde_json::{Value, json};
use support::Fixture;

fn fixture() -> Fixture {
    let fixture = Fixture::from_steps("trace");
    fixture.kg(&["--quiet", "index"]).ok();
    fixture
}

/// `kg mcp` in the fixture, with a clean environment whose home is the scratch directory.
fn server_command(fixture: &Fixture) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kg"));
    command
        .arg("--store")
        .arg(fixture.scratch.join("store"))
        .arg("mcp")
        .current_dir(&fixture.root)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &fixture.scratch)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null");
    command
}

async fn connect(
    fixture: &Fixture,
    lifecycle: ClientLifecycleMode,
) -> RunningService<RoleClient, ()> {
    let command = tokio::process::Command::from(server_command(fixture));
    let transport = TokioChildProcess::new(command).expect("kg mcp starts");
    ().serve_with_lifecycle(transport, lifecycle)
        .await
        .expect("the handshake succeeds")
}

async fn call(
    client: &RunningService<RoleClient, ()>,
    tool: &str,
    arguments: Value,
) -> CallToolResult {
    let Value::Object(arguments) = arguments else {
        panic!("arguments are an object");
    };
    client
        .call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments))
        .await
        .unwrap_or_else(|e| panic!("{tool}: {e}"))
}

fn structured(result: &CallToolResult) -> &Value {
    assert_ne!(result.is_error, Some(true), "{result:?}");
    result
        .structured_content
        .as_ref()
        .expect("structured content")
}

fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect()
}

// verifies: agents/mcp
#[tokio::test]
async fn a_client_uses_every_tool_in_both_lifecycles() {
    let fixture = fixture();
    for (lifecycle, version) in [
        (ClientLifecycleMode::Initialize, None),
        (
            ClientLifecycleMode::Discover {
                preferred_versions: vec![ProtocolVersion::V_2026_07_28],
            },
            Some(ProtocolVersion::V_2026_07_28),
        ),
    ] {
        let client = connect(&fixture, lifecycle).await;
        if let Some(version) = version {
            assert_eq!(client.peer_info().unwrap().protocol_version, version);
        }
        let tools = client.list_all_tools().await.unwrap();
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
        assert_eq!(
            names,
            [
                "kg_overview",
                "kg_find",
                "kg_context",
                "kg_trace",
                "kg_impact",
                "kg_sparql",
                "kg_schema",
                "kg_refresh"
            ]
        );

        let overview = call(&client, "kg_overview", json!({})).await;
        let value = structured(&overview);
        assert_eq!(value["coverage"]["stale"], 1, "{value}");
        assert_eq!(value["fresh"]["indexed"], value["fresh"]["head"]);
        assert!(value["tokens"].as_u64().unwrap() > 0);
        assert!(text(&overview).contains("\"coverage\""));

        let context = call(
            &client,
            "kg_context",
            json!({"id": "imageUpload/size-limit", "budget_tokens": 2000}),
        )
        .await;
        let value = structured(&context);
        assert_eq!(
            value["items"][0]["text"],
            "File size must be less than 10MB."
        );
        assert_eq!(value["code"][0]["at"], "backend/src/upload.rs:50-54");
        assert!(text(&context).starts_with("# Context: imageUpload/size-limit"));

        let found = call(&client, "kg_find", json!({"query": "size", "limit": 5})).await;
        let value = structured(&found);
        assert_eq!(
            value["results"][0]["id"], "imageUpload/size-limit",
            "{value}"
        );

        let stale = call(&client, "kg_trace", json!({"status": "stale"})).await;
        let value = structured(&stale);
        assert_eq!(value["matching"], 1);
        assert_eq!(value["items"][0]["id"], "imageUpload/size-limit");
        let page = call(&client, "kg_trace", json!({"limit": 1})).await;
        let next = structured(&page)["next_cursor"]
            .as_str()
            .unwrap()
            .to_owned();
        let second = call(&client, "kg_trace", json!({"limit": 1, "cursor": next})).await;
        assert_ne!(
            structured(&second)["items"][0]["id"],
            structured(&page)["items"][0]["id"]
        );

        let rows = call(
            &client,
            "kg_sparql",
            json!({"query": "SELECT ?id WHERE { ?r a oslc_rm:Requirement ; dcterms:identifier ?id } ORDER BY ?id", "limit": 2}),
        )
        .await;
        let value = structured(&rows);
        assert_eq!(value["vars"], json!(["id"]));
        assert_eq!(value["rows"].as_array().unwrap().len(), 2);
        assert!(value["truncated"].is_string());
        for refused in [
            "INSERT DATA { <http://a> <http://b> <http://c> }",
            "SELECT * WHERE { SERVICE <http://example.com/sparql> { ?s ?p ?o } }",
            "LOAD <http://example.com/data.ttl>",
        ] {
            let result = call(&client, "kg_sparql", json!({"query": refused})).await;
            assert_eq!(result.is_error, Some(true), "{refused}");
        }

        let schema = call(&client, "kg_schema", json!({})).await;
        let value = structured(&schema);
        assert!(
            value["classes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["name"] == "kg:Definition")
        );

        let impact = call(&client, "kg_impact", json!({})).await;
        assert!(structured(&impact)["items"].as_array().unwrap().is_empty());

        let refreshed = call(&client, "kg_refresh", json!({})).await;
        assert_eq!(structured(&refreshed)["updated"], false);
        client.cancel().await.unwrap();
    }
}

// verifies: agents/mcp
#[tokio::test]
async fn impact_on_the_work_tree_and_freshness_follow_the_change() {
    let fixture = fixture();
    let client = connect(&fixture, ClientLifecycleMode::Initialize).await;
    let source = std::fs::read_to_string(fixture.root.join("backend/src/upload.rs")).unwrap();
    fixture.write(
        "backend/src/upload.rs",
        source.replace("if len < MAX_BYTES", "if len <= MAX_BYTES"),
    );
    let impact = call(
        &client,
        "kg_impact",
        json!({"paths": ["backend/src/upload.rs"]}),
    )
    .await;
    let value = structured(&impact);
    assert_eq!(value["items"][0]["id"], "imageUpload/size-limit", "{value}");
    assert_eq!(
        value["fresh"]["uncommitted"],
        json!(["backend/src/upload.rs"])
    );
    assert!(
        value["tests"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t.get("line").is_none_or(|l| !l.is_null()))
    );
    client.cancel().await.unwrap();
}

/// Writes JSON-RPC lines to a raw `kg mcp`, closes its stdin and returns what it wrote, line
/// by line, once it exits (within 30 s).
fn raw_session(mut command: Command, lines: &[Value]) -> (Vec<String>, std::process::ExitStatus) {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for line in lines {
        writeln!(stdin, "{line}").unwrap();
    }
    drop(stdin);
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let out: Vec<String> = stdout.lines().map(Result::unwrap).collect();
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (out, status);
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "kg mcp did not exit on EOF"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn initialize() -> [Value; 2] {
    [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "raw", "version": "1"}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    ]
}

fn response(lines: &[String], id: u64) -> Value {
    lines
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["id"] == id)
        .unwrap_or_else(|| panic!("no response to {id}: {lines:?}"))
}

// verifies: agents/mcp
#[test]
fn the_wire_is_json_rpc_and_errors_are_where_they_belong() {
    let fixture = fixture();
    let mut lines = initialize().to_vec();
    lines.extend([
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
        json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "kg_nothing", "arguments": {}}}),
        json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "kg_find", "arguments": {"query": 3}}}),
        json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {"name": "kg_context", "arguments": {"id": "imageUpload/nothing"}}}),
        json!({"jsonrpc": "2.0", "id": 6, "method": "tools/call", "params": {"name": "kg_trace", "arguments": {"status": "gaps", "colour": "red"}}}),
    ]);
    let (out, status) = raw_session(server_command(&fixture), &lines);
    assert!(status.success(), "{status}");
    for line in &out {
        let value: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert_eq!(value["jsonrpc"], "2.0", "{line}");
    }
    assert_eq!(response(&out, 1)["result"]["serverInfo"]["name"], "kg");
    let list = serde_json::to_string(&response(&out, 2)["result"]).unwrap();
    assert!(list.len() < 16 * 1024, "tools/list is {} bytes", list.len());
    // An unknown tool is a protocol error; bad arguments and unknown ids are answers that say
    // what is wrong, which the model can act on.
    assert_eq!(response(&out, 3)["error"]["code"], -32602);
    for id in [4, 5, 6] {
        let result = &response(&out, id)["result"];
        assert_eq!(result["isError"], true, "{result}");
    }
    let text = |id| {
        response(&out, id)["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(
        text(4).starts_with("bad arguments for kg_find"),
        "{}",
        text(4)
    );
    assert!(
        text(5).contains("imageUpload/size-limit") || text(5).contains("no item"),
        "{}",
        text(5)
    );
    assert!(text(6).contains("unknown field `colour`"), "{}", text(6));
}

// verifies: agents/mcp-root
#[test]
fn the_handshake_needs_no_store_and_a_call_says_how_to_get_one() {
    let fixture = Fixture::from_steps("trace");
    let mut lines = initialize().to_vec();
    lines.extend([
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
        json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "kg_overview", "arguments": {}}}),
    ]);
    let (out, status) = raw_session(server_command(&fixture), &lines);
    assert!(status.success());
    assert!(response(&out, 2)["result"]["tools"].is_array());
    assert!(
        !fixture.scratch.join("store").exists(),
        "the store was opened"
    );
    let result = &response(&out, 3)["result"];
    assert_eq!(result["isError"], true);
    assert!(
        result["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("call kg_refresh")
    );
}

// verifies: agents/mcp-root
#[test]
fn a_server_refuses_the_root_and_the_home_directory() {
    let fixture = fixture();
    for (dir, home) in [
        (Path::new("/"), fixture.scratch.as_path()),
        (fixture.root.as_path(), fixture.root.as_path()),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_kg"))
            .args(["-C"])
            .arg(dir)
            .arg("mcp")
            .env("HOME", home)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{}", dir.display());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("kg mcp serves one repository, not"),
            "{stderr}"
        );
        assert!(output.stdout.is_empty());
    }
}

// verifies: agents/mcp-root
#[test]
fn two_servers_answer_beside_a_running_index() {
    let fixture = fixture();
    let started = Instant::now();
    // A full rebuild in a loop beside two servers, each asked for an overview again and again.
    let mut index = Command::new(env!("CARGO_BIN_EXE_kg"));
    index
        .arg("--store")
        .arg(fixture.scratch.join("store"))
        .args(["--quiet", "index", "--force"])
        .current_dir(&fixture.root)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null");
    let writer = std::thread::spawn(move || {
        for _ in 0..5 {
            assert!(index.status().unwrap().success());
        }
    });
    let mut lines = initialize().to_vec();
    for id in 2..22 {
        lines.push(json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                          "params": {"name": "kg_overview", "arguments": {}}}));
    }
    let servers: Vec<_> = (0..2)
        .map(|_| {
            let command = server_command(&fixture);
            let lines = lines.clone();
            std::thread::spawn(move || raw_session(command, &lines))
        })
        .collect();
    for server in servers {
        let (out, status) = server.join().unwrap();
        assert!(status.success());
        for id in 2..22 {
            let result = &response(&out, id)["result"];
            assert_ne!(result["isError"], true, "{result}");
            assert_eq!(
                result["structuredContent"]["coverage"]["items"], 11,
                "{result}"
            );
        }
    }
    writer.join().unwrap();
    assert!(started.elapsed() < Duration::from_secs(120));
}

// verifies: agents/setup
#[test]
fn the_setup_lines_are_in_the_help_and_the_readme() {
    let help = Command::new(env!("CARGO_BIN_EXE_kg"))
        .args(["mcp", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    for line in [
        "claude mcp add kg -- kg mcp",
        "codex mcp add kg -- kg -C \"$PWD\" mcp",
        r#"{"mcpServers":{"kg":{"command":"kg","args":["-C","${workspaceFolder}","mcp"]}}}"#,
        r#"{"servers":{"kg":{"type":"stdio","command":"kg","args":["-C","${workspaceFolder}","mcp"]}}}"#,
    ] {
        assert!(help.contains(line), "kg mcp --help lacks {line}:\n{help}");
        assert!(readme.contains(line), "README.md lacks {line}");
    }
}
