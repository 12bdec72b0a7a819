//! Installing CustomResourceDefinitions from YAML files and waiting until they are served.
use std::path::Path;
use std::time::{Duration, Instant};

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, Patch, PatchParams};

use crate::TestEnvError;

/// Server-side applies every CRD in the `*.yaml` files of `dir` and polls until each is
/// `Established`. Returns the CRD names.
pub async fn install_crds(client: &kube::Client, dir: &Path) -> Result<Vec<String>, TestEnvError> {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    let mut names = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(dir)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file)?;
        for doc in serde_yaml_ng::Deserializer::from_str(&text) {
            let value = serde_json::to_value(
                <serde_yaml_ng::Value as serde::Deserialize>::deserialize(doc)
                    .map_err(|e| TestEnvError::Kubeconfig(format!("{}: {e}", file.display())))?,
            )
            .map_err(|e| TestEnvError::Kubeconfig(e.to_string()))?;
            if value.is_null() {
                continue;
            }
            let crd: CustomResourceDefinition = serde_json::from_value(value)
                .map_err(|e| TestEnvError::Kubeconfig(format!("{}: {e}", file.display())))?;
            let name = crd.metadata.name.clone().unwrap_or_default();
            api.patch(&name, &PatchParams::apply("hookwright-testenv").force(), &Patch::Apply(&crd)).await?;
            names.push(name);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    for name in &names {
        loop {
            let crd = api.get(name).await?;
            let established = crd
                .status
                .and_then(|s| s.conditions)
                .unwrap_or_default()
                .iter()
                .any(|c| c.type_ == "Established" && c.status == "True");
            if established {
                break;
            }
            if Instant::now() > deadline {
                return Err(TestEnvError::NotReady { what: "CRD", secs: 30, log: name.clone() });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    Ok(names)
}
