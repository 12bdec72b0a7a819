//! The container image of `make image` (hack/image.sh), opened without a container engine: the
//! OCI layout in target/image/oci is one index for linux/amd64 and linux/arm64 whose blobs match
//! their digests; each config runs `/hookwright run` as 65532:65532 with the OCI labels; each
//! layer holds the static binary of its architecture and the CA bundle, nothing else. The amd64
//! root filesystem then runs as a pod would run it (own mount namespace, read-only root, the
//! ServiceAccount token mounted at the in-cluster path, uid/gid 65532, no new privileges) against
//! the test control plane until a Webhook is Ready, reaching the provider API over HTTPS verified
//! with the image's own CA bundle. The arm64 binary runs under qemu-user. The Dockerfile builds
//! the same image.
use std::collections::BTreeMap;
use std::ffi::CString;
use std::net::SocketAddr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use hookwright_fake_api::mendix::{FakeConfig, FakeServer, TokenEntry};
use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
use k8s_openapi::api::rbac::v1::ClusterRoleBinding;
use kube::api::{Api, DeleteParams, DynamicObject, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::{Value, json};
use sha2::Digest as _;

use super::support::{OPERATOR, chart_dir, output, parse_docs, poll, repo, run, sa_token};

const LAYOUT: &str = "target/image/oci";
const MT_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const MT_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const MT_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const MT_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
const CA_BUNDLE: &str = "etc/ssl/certs/ca-certificates.crt";
const UID: u32 = 65532;

/// The `[package]` table of Cargo.toml.
pub fn cargo_package() -> toml_lite::Package {
    toml_lite::package(&std::fs::read_to_string(repo().join("Cargo.toml")).unwrap())
}

/// Just enough TOML for Cargo.toml's `[package]` strings (no TOML crate in the graph).
pub mod toml_lite {
    pub struct Package {
        pub name: String,
        pub version: String,
        pub license: String,
        pub description: String,
    }

    pub fn package(text: &str) -> Package {
        let mut in_package = false;
        let mut get = std::collections::BTreeMap::new();
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with('[') {
                in_package = line == "[package]";
            } else if in_package && let Some((k, v)) = line.split_once(" = ") {
                get.insert(k.trim().to_string(), v.trim().trim_matches('"').to_string());
            }
        }
        let field = |k: &str| get.get(k).cloned().unwrap_or_else(|| panic!("Cargo.toml [package] has no {k}"));
        Package {
            name: field("name"),
            version: field("version"),
            license: field("license"),
            description: field("description"),
        }
    }
}

/// One platform's image in the layout.
struct PlatformImage {
    arch: String,
    config: Value,
    config_bytes: Vec<u8>,
    /// The layer, gzip-compressed as stored.
    layer: Vec<u8>,
}

struct Layout {
    dir: PathBuf,
    /// The multi-architecture index (the one entry of index.json) and its digest.
    index: Value,
    digest: String,
    images: Vec<PlatformImage>,
}

fn sha256(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(data)))
}

impl Layout {
    /// Opens target/image/oci; every blob read is checked against its descriptor's digest and size.
    fn open() -> Layout {
        let dir = repo().join(LAYOUT);
        assert!(
            dir.join("index.json").is_file(),
            "{LAYOUT} missing: run `make image` (make test does, before cargo test)"
        );
        let layout: Value = serde_json::from_slice(&std::fs::read(dir.join("oci-layout")).unwrap()).unwrap();
        assert_eq!(layout["imageLayoutVersion"], "1.0.0");
        let top: Value = serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
        assert_eq!(top["schemaVersion"], 2);
        let entries = top["manifests"].as_array().unwrap();
        assert_eq!(entries.len(), 1, "index.json names one thing, the multi-arch index: {top}");
        let mut l = Layout { dir, index: Value::Null, digest: String::new(), images: Vec::new() };
        let entry = &entries[0];
        assert_eq!(entry["mediaType"], MT_INDEX);
        assert_eq!(
            entry["annotations"]["org.opencontainers.image.ref.name"],
            cargo_package().version,
            "the layout's tag is the version"
        );
        l.index = serde_json::from_slice(&l.blob(entry)).unwrap();
        l.digest = entry["digest"].as_str().unwrap().to_string();
        assert_eq!((l.index["schemaVersion"].clone(), l.index["mediaType"].clone()), (json!(2), json!(MT_INDEX)));
        for m in l.index["manifests"].as_array().unwrap().clone() {
            assert_eq!(m["mediaType"], MT_MANIFEST);
            let manifest: Value = serde_json::from_slice(&l.blob(&m)).unwrap();
            assert_eq!(
                (manifest["schemaVersion"].clone(), manifest["mediaType"].clone()),
                (json!(2), json!(MT_MANIFEST))
            );
            assert_eq!(manifest["config"]["mediaType"], MT_CONFIG);
            let config_bytes = l.blob(&manifest["config"]);
            let layers = manifest["layers"].as_array().unwrap();
            assert_eq!(layers.len(), 1, "one layer on an empty base");
            assert_eq!(layers[0]["mediaType"], MT_LAYER);
            let layer = l.blob(&layers[0]);
            let config: Value = serde_json::from_slice(&config_bytes).unwrap();
            let arch = m["platform"]["architecture"].as_str().unwrap().to_string();
            assert_eq!(m["platform"]["os"], "linux");
            assert_eq!(
                (&config["architecture"], &config["os"]),
                (&m["platform"]["architecture"], &m["platform"]["os"])
            );
            assert_eq!(config["variant"], m["platform"]["variant"]);
            l.images.push(PlatformImage { arch, config, config_bytes, layer });
        }
        l
    }

    fn blob(&self, desc: &Value) -> Vec<u8> {
        let digest = desc["digest"].as_str().expect("descriptor digest");
        let hex = digest.strip_prefix("sha256:").expect("sha256 digest");
        let data =
            std::fs::read(self.dir.join("blobs/sha256").join(hex)).unwrap_or_else(|e| panic!("blob {digest}: {e}"));
        assert_eq!(sha256(&data), digest, "blob content does not match its digest");
        assert_eq!(desc["size"].as_u64(), Some(data.len() as u64), "size of {digest}");
        data
    }

    fn image(&self, arch: &str) -> &PlatformImage {
        self.images.iter().find(|i| i.arch == arch).unwrap_or_else(|| panic!("no linux/{arch} image"))
    }
}

fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut child = Command::new("gzip").arg("-dc").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("gzip");
    let mut stdin = child.stdin.take().unwrap();
    let input = data.to_vec();
    let writer = std::thread::spawn(move || std::io::Write::write_all(&mut stdin, &input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "gzip -dc failed");
    out.stdout
}

/// Unpacks a layer into `dest/rootfs` (mode 0755, as a runtime's root), owners and modes kept.
fn unpack(layer: &[u8], dest: &Path) -> PathBuf {
    let root = dest.join("rootfs");
    std::fs::create_dir(&root).unwrap();
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
    let file = dest.join("layer.tar.gz");
    std::fs::write(&file, layer).unwrap();
    run(Command::new("tar").args(["--numeric-owner", "--same-permissions", "-xzf"]).arg(&file).arg("-C").arg(&root));
    root
}

/// `readelf -hlW`: (machine, statically linked).
fn elf(bin: &Path) -> (String, bool) {
    let out = run(Command::new("readelf").arg("-hlW").arg(bin));
    let machine =
        out.lines().find_map(|l| l.trim().strip_prefix("Machine:")).map(|m| m.trim().to_string()).expect("ELF machine");
    (machine, !out.contains("program interpreter"))
}

/// The names of the CRDs `hookwright crd` printed.
fn crd_names(stdout: &[u8]) -> Vec<String> {
    let docs = parse_docs(std::str::from_utf8(stdout).unwrap());
    let mut names: Vec<String> = docs.iter().map(|d| d["metadata"]["name"].as_str().unwrap().to_string()).collect();
    names.sort();
    names
}

const CRDS: [&str; 3] =
    ["clusterwebhookproviders.hookwright.dev", "webhookproviders.hookwright.dev", "webhooks.hookwright.dev"];

#[test]
fn layout_is_one_index_of_linux_amd64_and_arm64() {
    let l = Layout::open();
    let mut platforms: Vec<String> = l.images.iter().map(|i| i.arch.clone()).collect();
    platforms.sort();
    assert_eq!(platforms, ["amd64", "arm64"]);
    assert_eq!(l.image("arm64").config["variant"], "v8");
    // What make image printed and wrote for the release workflow is this index.
    let written = std::fs::read_to_string(repo().join("target/image/digest")).unwrap();
    assert_eq!(written.trim(), l.digest);
    let summary: Value =
        serde_json::from_slice(&std::fs::read(repo().join("target/image/image.json")).unwrap()).unwrap();
    assert_eq!(summary["digest"], l.digest);
    for (platform, s) in summary["platforms"].as_object().unwrap() {
        eprintln!("{platform}: {} bytes to pull, {} unpacked", s["pull_bytes"], s["uncompressed_bytes"]);
    }
    // The index carries the labels as annotations (registries show them for the multi-arch tag).
    let labels = &l.image("amd64").config["config"]["Labels"];
    assert_eq!(&l.index["annotations"], labels);
}

#[test]
fn config_runs_hookwright_run_as_65532_with_oci_labels() {
    let l = Layout::open();
    let pkg = cargo_package();
    for i in &l.images {
        let c = &i.config["config"];
        assert_eq!(c["User"], format!("{UID}:{UID}"), "{}", i.arch);
        assert_eq!(c["Entrypoint"], json!(["/hookwright"]));
        assert_eq!(c["Cmd"], json!(["run"]));
        assert_eq!(c["ExposedPorts"], json!({"8080/tcp": {}}));
        assert!(c.get("Env").is_none(), "no environment: the binary needs none");
        let labels = c["Labels"].as_object().unwrap();
        let label =
            |k: &str| labels.get(&format!("org.opencontainers.image.{k}")).and_then(Value::as_str).unwrap_or("");
        assert_eq!(label("version"), pkg.version);
        assert_eq!(label("licenses"), pkg.license);
        assert_eq!(label("title"), pkg.name);
        assert_eq!(label("description"), pkg.description);
        assert!(label("source").starts_with("https://github.com/"), "source label: {}", label("source"));
        let rev = label("revision");
        assert!(rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()), "revision label: {rev:?}");
        assert_eq!(label("created"), i.config["created"]);
        // diff_ids name the uncompressed layer.
        assert_eq!(i.config["rootfs"], json!({"type": "layers", "diff_ids": [sha256(&gunzip(&i.layer))]}));
        eprintln!("linux/{}: config {} bytes, layer {} bytes", i.arch, i.config_bytes.len(), i.layer.len());
    }
}

#[test]
fn layer_holds_the_static_binary_and_the_ca_bundle_only() {
    let l = Layout::open();
    for (arch, machine) in [("amd64", "Advanced Micro Devices X86-64"), ("arm64", "AArch64")] {
        let i = l.image(arch);
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("layer.tar.gz");
        std::fs::write(&file, &i.layer).unwrap();
        let listing = run(Command::new("tar").args(["--numeric-owner", "-tvzf"]).arg(&file));
        let entries: BTreeMap<String, (String, String)> = listing
            .lines()
            .map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                (f[5].trim_end_matches('/').to_string(), (f[0].to_string(), f[1].to_string()))
            })
            .collect();
        let want: BTreeMap<String, (String, String)> = [
            ("etc", "drwxr-xr-x"),
            ("etc/ssl", "drwxr-xr-x"),
            ("etc/ssl/certs", "drwxr-xr-x"),
            (CA_BUNDLE, "-rw-r--r--"),
            ("hookwright", "-rwxr-xr-x"),
        ]
        .into_iter()
        .map(|(n, m)| (n.to_string(), (m.to_string(), "0/0".to_string())))
        .collect();
        assert_eq!(entries, want, "linux/{arch} layer:\n{listing}");

        let root = unpack(&i.layer, tmp.path());
        assert_eq!(elf(&root.join("hookwright")), (machine.to_string(), true), "linux/{arch} binary");
        let bundle = std::fs::read_to_string(root.join(CA_BUNDLE)).unwrap();
        let certs = bundle.matches("-----BEGIN CERTIFICATE-----").count();
        assert!(certs >= 100, "{CA_BUNDLE} holds {certs} certificates");
        assert_eq!(certs, bundle.matches("-----END CERTIFICATE-----").count());
        eprintln!("linux/{arch}: {machine} static binary, {certs} CA certificates");
    }
}

/// The amd64 binary from the image's root, alone (no /proc, /dev, /tmp), as the image's user.
#[test]
fn amd64_binary_runs_in_its_root_as_65532() {
    let l = Layout::open();
    let tmp = tempfile::tempdir().unwrap();
    let root = unpack(&l.image("amd64").layer, tmp.path());
    let out = output(
        Command::new("chroot")
            .arg(format!("--userspec={UID}:{UID}"))
            .arg(&root)
            .args(["/hookwright", "crd"])
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
    );
    assert!(out.status.success(), "chroot run failed (needs root): {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(crd_names(&out.stdout), CRDS);
}

/// The arm64 binary runs (Debian's qemu-user-static), so the cross-compiled link is sound.
#[test]
fn arm64_binary_runs_under_qemu() {
    let l = Layout::open();
    let tmp = tempfile::tempdir().unwrap();
    let root = unpack(&l.image("arm64").layer, tmp.path());
    let out = output(Command::new("qemu-aarch64-static").arg(root.join("hookwright")).arg("crd").env_clear());
    assert!(out.status.success(), "qemu-aarch64-static failed: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(crd_names(&out.stdout), CRDS);
    let version = output(Command::new("qemu-aarch64-static").arg(root.join("hookwright")).arg("version"));
    assert_eq!(String::from_utf8_lossy(&version.stdout).trim(), format!("hookwright {}", cargo_package().version));
}

/// A TLS endpoint for the fake provider API: terminates TLS with a certificate of its own CA
/// (for 127.0.0.1) and relays the bytes to the fake. Counts completed handshakes.
struct TlsRelay {
    addr: SocketAddr,
    ca_pem: String,
    handshakes: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TlsRelay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn tls_relay(upstream: SocketAddr) -> TlsRelay {
    use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "hookwright image test CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    leaf.is_ca = IsCa::ExplicitNoCa;
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf_cert.der().clone(), ca_cert.der().clone()], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let handshakes = Arc::new(AtomicUsize::new(0));
    let count = handshakes.clone();
    let task = tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, count) = (acceptor.clone(), count.clone());
            tokio::spawn(async move {
                // A client that rejects the certificate aborts the handshake here.
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                count.fetch_add(1, Ordering::SeqCst);
                if let Ok(mut up) = tokio::net::TcpStream::connect(upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut up).await;
                }
            });
        }
    });
    TlsRelay { addr, ca_pem: ca_cert.pem(), handshakes, task }
}

/// What a container runtime does between fork and exec for the chart's pod: a mount namespace
/// of its own, the root filesystem bind-mounted read-only (readOnlyRootFilesystem), the
/// ServiceAccount token mounted read-only at the in-cluster path, chroot, supplementary groups
/// dropped, gid then uid 65532 (runAsUser/runAsGroup; capabilities go with uid 0), and no new
/// privileges (allowPrivilegeEscalation: false).
fn contain(cmd: &mut Command, root: &Path, sa_dir: &Path) {
    let c = |p: &Path| CString::new(p.as_os_str().as_bytes()).unwrap();
    let (root_c, sa_c) = (c(root), c(sa_dir));
    let sa_target = c(&root.join("var/run/secrets/kubernetes.io/serviceaccount"));
    let slash = CString::new("/").unwrap();
    let dot = CString::new(".").unwrap();
    let ro = libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV;
    let check = |rc: libc::c_int| if rc == 0 { Ok(()) } else { Err(std::io::Error::last_os_error()) };
    // SAFETY: only system calls run between fork and exec; the strings were allocated before.
    unsafe {
        cmd.pre_exec(move || {
            let null = std::ptr::null();
            check(libc::unshare(libc::CLONE_NEWNS))?;
            check(libc::mount(null, slash.as_ptr(), null, libc::MS_REC | libc::MS_PRIVATE, std::ptr::null()))?;
            check(libc::mount(root_c.as_ptr(), root_c.as_ptr(), null, libc::MS_BIND | libc::MS_REC, std::ptr::null()))?;
            check(libc::mount(null, root_c.as_ptr(), null, ro, std::ptr::null()))?;
            check(libc::mount(sa_c.as_ptr(), sa_target.as_ptr(), null, libc::MS_BIND, std::ptr::null()))?;
            check(libc::mount(null, sa_target.as_ptr(), null, ro, std::ptr::null()))?;
            check(libc::chdir(root_c.as_ptr()))?;
            check(libc::chroot(dot.as_ptr()))?;
            check(libc::chdir(slash.as_ptr()))?;
            check(libc::setgroups(0, std::ptr::null()))?;
            check(libc::setgid(UID))?;
            check(libc::setuid(UID))?;
            check(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))?;
            Ok(())
        });
    }
}

/// A `/proc/<pid>/status` field.
fn proc_status(pid: u32, field: &str) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

/// Mount options of `mount_point` as the process sees it (`/proc/<pid>/mountinfo`).
fn mount_options(pid: u32, mount_point: &str) -> String {
    let info = std::fs::read_to_string(format!("/proc/{pid}/mountinfo")).unwrap();
    // The last mount on a mount point is the one the process sees.
    info.lines()
        .rev()
        .find_map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            (f.get(4) == Some(&mount_point)).then(|| f[5].to_string())
        })
        .unwrap_or_else(|| panic!("{mount_point} not mounted for {pid}:\n{info}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amd64_image_runs_read_only_as_65532_until_a_webhook_is_ready() {
    // A cluster-wide operator of another chart test would reconcile this namespace's Webhook too.
    let _only_operator = OPERATOR.lock().await;
    let l = Layout::open();
    let image = l.image("amd64");
    let cp = hookwright_testenv::shared().await;
    let admin = cp.client().await.unwrap();
    hookwright_testenv::install_crds(&admin, &repo().join("crds")).await.unwrap();
    let ns = hookwright_testenv::create_namespace(&admin, "image").await.unwrap();

    // The pod's identity: a ServiceAccount (bound to cluster-admin: RBAC is least_privilege.rs's
    // subject) and a TokenRequest token, as the kubelet projects it.
    let sas: Api<ServiceAccount> = Api::namespaced(admin.clone(), &ns);
    sas.create(&PostParams::default(), &serde_json::from_value(json!({"metadata": {"name": "hookwright"}})).unwrap())
        .await
        .unwrap();
    let binding = format!("{ns}-image-test");
    let crbs: Api<ClusterRoleBinding> = Api::all(admin.clone());
    crbs.create(
        &PostParams::default(),
        &serde_json::from_value(json!({
            "metadata": {"name": binding},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
            "subjects": [{"kind": "ServiceAccount", "name": "hookwright", "namespace": ns}]
        }))
        .unwrap(),
    )
    .await
    .unwrap();
    let token = sa_token(&admin, &ns, "hookwright").await;

    // The fake Mendix API behind TLS from a CA that only this test's copy of the image trusts.
    let app = uuid::Uuid::new_v4();
    let pat = format!("pat{}", uuid::Uuid::new_v4().simple());
    let fake = FakeServer::start(FakeConfig {
        tokens: vec![TokenEntry::new(pat.clone(), &["mx:webhook:read", "mx:webhook:write"], &[app])],
        ..Default::default()
    })
    .await
    .unwrap();
    let relay = tls_relay(fake.addr()).await;

    // The root filesystem as a runtime prepares it: the layer unpacked, the mount point of the
    // token volume, and (test only) the relay's CA appended to the image's bundle.
    let tmp = tempfile::tempdir().unwrap();
    let root = unpack(&image.layer, tmp.path());
    std::fs::create_dir_all(root.join("var/run/secrets/kubernetes.io/serviceaccount")).unwrap();
    let bundle = root.join(CA_BUNDLE);
    let mut pem = std::fs::read_to_string(&bundle).unwrap();
    pem.push_str(&relay.ca_pem);
    std::fs::write(&bundle, pem).unwrap();
    let sa_dir = tmp.path().join("serviceaccount");
    std::fs::create_dir(&sa_dir).unwrap();
    std::fs::set_permissions(&sa_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    for (file, content) in [("token", token.as_str()), ("ca.crt", cp.ca_pem()), ("namespace", ns.as_str())] {
        std::fs::write(sa_dir.join(file), content).unwrap();
        std::fs::set_permissions(sa_dir.join(file), std::fs::Permissions::from_mode(0o644)).unwrap();
    }

    // Entrypoint and default arguments from the image config, flags as the chart's args add them.
    let c = &image.config["config"];
    let entrypoint: Vec<String> = serde_json::from_value(c["Entrypoint"].clone()).unwrap();
    let cmd_args: Vec<String> = serde_json::from_value(c["Cmd"].clone()).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let api: url::Url = cp.server().parse().unwrap();
    let mut cmd = Command::new(&entrypoint[0]);
    cmd.args(&entrypoint[1..])
        .args(&cmd_args)
        .args(["--namespace", &ns, "--log-format=json"])
        .arg(format!("--metrics-addr=127.0.0.1:{port}"))
        .env_clear()
        .env("KUBERNETES_SERVICE_HOST", api.host_str().unwrap())
        .env("KUBERNETES_SERVICE_PORT", api.port().unwrap().to_string())
        .env("POD_NAME", "hookwright-image-test")
        .env("POD_NAMESPACE", &ns);
    contain(&mut cmd, &root, &sa_dir);
    let log = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("image-operator.log");
    let op = hookwright_testenv::spawn_logged("hookwright (image)", cmd, &log).expect("start the image's operator");
    let pid = op.pid();

    let http = reqwest::Client::new();
    poll(60, "/readyz of the image's operator", || async {
        if let Err(e) = op.check_running() {
            panic!("the image's operator exited: {e}");
        }
        let r = http.get(format!("http://127.0.0.1:{port}/readyz")).send().await;
        r.is_ok_and(|r| r.status().is_success()).then_some(())
    })
    .await;
    // It runs as the pod spec says.
    assert_eq!(proc_status(pid, "Uid"), format!("{UID} {UID} {UID} {UID}"));
    assert_eq!(proc_status(pid, "Gid"), format!("{UID} {UID} {UID} {UID}"));
    assert_eq!(proc_status(pid, "Groups"), "");
    assert_eq!(proc_status(pid, "NoNewPrivs"), "1");
    assert_eq!(proc_status(pid, "CapEff"), "0000000000000000");
    assert!(mount_options(pid, "/").starts_with("ro,"), "root mount: {}", mount_options(pid, "/"));
    let sa_mount = mount_options(pid, "/var/run/secrets/kubernetes.io/serviceaccount");
    assert!(sa_mount.starts_with("ro,"), "token mount: {sa_mount}");

    // Token Secret, provider (over HTTPS through the relay) and a Webhook.
    let secrets: Api<Secret> = Api::namespaced(admin.clone(), &ns);
    secrets
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": "pat"}, "stringData": {"token": pat}})).unwrap(),
        )
        .await
        .unwrap();
    let gvk = |kind: &str| ApiResource::from_gvk(&GroupVersionKind::gvk("hookwright.dev", "v1alpha1", kind));
    let providers: Api<DynamicObject> = Api::namespaced_with(admin.clone(), &ns, &gvk("WebhookProvider"));
    let base_url = format!("https://{}/api/v1", relay.addr);
    providers
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({"apiVersion": "hookwright.dev/v1alpha1", "kind": "WebhookProvider",
                "metadata": {"name": "mendix"},
                "spec": {"mendix": {"baseUrl": base_url, "tokenSecretRef": {"name": "pat", "key": "token"}}}}))
            .unwrap(),
        )
        .await
        .unwrap();
    let webhooks: Api<DynamicObject> = Api::namespaced_with(admin.clone(), &ns, &gvk("Webhook"));
    webhooks
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({"apiVersion": "hookwright.dev/v1alpha1", "kind": "Webhook",
                "metadata": {"name": "from-the-image"},
                "spec": {"providerRef": {"kind": "WebhookProvider", "name": "mendix"}, "mendix": {"appId": app.to_string()},
                         "url": "https://hooks.example.com/from-the-image", "eventTypes": ["package.uploaded"]}}))
            .unwrap(),
        )
        .await
        .unwrap();
    let ready = poll(90, "Webhook from-the-image Ready", || async {
        if let Err(e) = op.check_running() {
            panic!("the image's operator exited: {e}");
        }
        let wh = serde_json::to_value(webhooks.get("from-the-image").await.unwrap()).unwrap();
        let cond = wh["status"]["conditions"].as_array()?.iter().find(|c| c["type"] == "Ready")?.clone();
        (cond["status"] == "True" && cond["observedGeneration"] == wh["metadata"]["generation"]).then_some(wh)
    })
    .await;
    eprintln!("Ready: {}", ready["status"]);
    let remote: Value = http.get(format!("{}/webhooks", fake.admin_url())).send().await.unwrap().json().await.unwrap();
    let urls: Vec<&str> = remote["webhooks"].as_array().unwrap().iter().filter_map(|w| w["url"].as_str()).collect();
    assert_eq!(urls, ["https://hooks.example.com/from-the-image"], "one remote webhook: {remote}");
    assert!(relay.handshakes.load(Ordering::SeqCst) > 0, "the operator reached the API through TLS");

    drop(op);
    crbs.delete(&binding, &DeleteParams::default()).await.unwrap();
}

/// A Dockerfile instruction of the runtime stage: keyword and arguments (continuations joined).
fn runtime_stage(dockerfile: &str) -> Vec<(String, String)> {
    let joined = dockerfile.replace("\\\n", " ");
    let instructions: Vec<(String, String)> = joined
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(' ').map(|(k, v)| (k.to_string(), v.trim().to_string())))
        .collect();
    let last_from = instructions.iter().rposition(|(k, _)| k == "FROM").expect("a FROM");
    instructions[last_from..].to_vec()
}

/// `KEY="value" KEY2="value"` pairs of a LABEL instruction.
fn label_pairs(args: &str) -> Vec<(String, String)> {
    let re = regex::Regex::new(r#"([\w.\-]+)="([^"]*)""#).unwrap();
    re.captures_iter(args).map(|c| (c[1].to_string(), c[2].to_string())).collect()
}

#[test]
fn dockerfile_builds_the_same_image() {
    let l = Layout::open();
    let config = &l.image("amd64").config["config"];
    let dockerfile = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    let froms: Vec<&str> = dockerfile.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert_eq!(froms.len(), 2, "multi-stage: build and runtime");
    assert!(froms[0].ends_with(" AS build"), "{}", froms[0]);
    // The build stage makes the binary and the root filesystem with the scripts make image runs.
    for want in [
        "FROM --platform=$BUILDPLATFORM",
        "ARG TARGETARCH",
        "musl-tools gcc-aarch64-linux-gnu libc6-dev-arm64-cross",
        "apt-get download ca-certificates",
        "hack/image.sh binary \"$TARGETARCH\"",
        "tools/image/rootfs.sh",
    ] {
        assert!(dockerfile.contains(want), "Dockerfile lacks {want:?}");
    }
    let stage = runtime_stage(&dockerfile);
    let get = |k: &str| stage.iter().filter(|(i, _)| i == k).map(|(_, v)| v.as_str()).collect::<Vec<_>>();
    assert_eq!(get("FROM"), ["scratch"], "an empty base, like make image");
    assert_eq!(get("COPY"), ["--from=build /rootfs/ /"], "the root filesystem of tools/image/rootfs.sh, nothing else");
    assert_eq!(get("USER"), [config["User"].as_str().unwrap()]);
    assert_eq!(get("WORKDIR"), [config["WorkingDir"].as_str().unwrap()]);
    let json_list = |v: &str| serde_json::from_str::<Value>(v).unwrap();
    assert_eq!(get("ENTRYPOINT").iter().map(|v| json_list(v)).collect::<Vec<_>>(), [config["Entrypoint"].clone()]);
    assert_eq!(get("CMD").iter().map(|v| json_list(v)).collect::<Vec<_>>(), [config["Cmd"].clone()]);
    let ports: Vec<String> =
        config["ExposedPorts"].as_object().unwrap().keys().map(|p| p.replace("/tcp", "")).collect();
    assert_eq!(get("EXPOSE"), ports);
    // Same labels; the ARG defaults give make image's values (revision and time vary per build).
    let args: BTreeMap<String, String> = get("ARG")
        .iter()
        .flat_map(|a| a.split_whitespace())
        .filter_map(|a| a.split_once('=').map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string())))
        .collect();
    let mut labels: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in get("LABEL").iter().flat_map(|a| label_pairs(a)) {
        let expanded = args.iter().fold(v, |v, (a, d)| v.replace(&format!("${{{a}}}"), d).replace(&format!("${a}"), d));
        labels.insert(k, expanded);
    }
    let want: BTreeMap<String, String> = config["Labels"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();
    assert_eq!(labels.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>());
    for (k, v) in &want {
        if !k.ends_with(".revision") && !k.ends_with(".created") {
            assert_eq!(&labels[k], v, "Dockerfile label {k}");
        }
    }

    // The build context holds every file the manifest names: .dockerignore may leave out only
    // build output and VCS data (a [[bench]] whose file is missing makes cargo refuse to build).
    let ignore = std::fs::read_to_string(repo().join(".dockerignore")).unwrap();
    let patterns: Vec<&str> = ignore.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
    for p in &patterns {
        assert!(
            [".git/", "target/", "crates/*/target/", "**/*.log", ".venv/"].contains(p),
            ".dockerignore pattern {p:?} may hide a file cargo needs"
        );
    }
    let manifest = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    for (section, dir) in [("[[bench]]", "benches"), ("[[test]]", "tests"), ("[[example]]", "examples")] {
        if manifest.contains(section) {
            assert!(repo().join(dir).is_dir(), "{section} in Cargo.toml but no {dir}/");
        }
    }
    // The chart runs the image as the user the image declares.
    let values = parse_docs(&std::fs::read_to_string(chart_dir().join("values.yaml")).unwrap());
    assert_eq!(values[0]["podSecurityContext"]["runAsUser"], UID);
    assert_eq!(values[0]["podSecurityContext"]["runAsGroup"], UID);
    assert_eq!(values[0]["podSecurityContext"]["runAsNonRoot"], true);
    assert_eq!(values[0]["securityContext"]["readOnlyRootFilesystem"], true);
}
