//! Issue: foundations. The test control plane is a real kube-apiserver with etcd, RBAC is
//! enforced, and the harness leaves no process behind.
use std::time::{Duration, Instant};

use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::{ConfigMap, Secret, ServiceAccount};
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use kube::api::{Api, ListParams, ObjectMeta, PostParams};

fn meta(name: &str) -> ObjectMeta {
    ObjectMeta { name: Some(name.into()), ..Default::default() }
}

#[tokio::test]
async fn configmap_round_trip_through_real_apiserver() {
    let cp = hookwright_testenv::shared().await;
    let client = cp.client().await.unwrap();
    let ns = hookwright_testenv::create_namespace(&client, "cm").await.unwrap();
    let cms: Api<ConfigMap> = Api::namespaced(client, &ns);
    let cm = ConfigMap {
        metadata: meta("greeting"),
        data: Some([("hello".to_string(), "world".to_string())].into()),
        ..Default::default()
    };
    cms.create(&PostParams::default(), &cm).await.unwrap();
    let back = cms.get("greeting").await.unwrap();
    assert_eq!(back.data.unwrap()["hello"], "world");
    assert!(back.metadata.uid.is_some(), "a real apiserver assigns a uid");
}

#[tokio::test]
async fn service_account_token_is_subject_to_rbac() {
    let cp = hookwright_testenv::shared().await;
    let admin = cp.client().await.unwrap();
    let ns = hookwright_testenv::create_namespace(&admin, "rbac").await.unwrap();
    let sas: Api<ServiceAccount> = Api::namespaced(admin.clone(), &ns);
    sas.create(&PostParams::default(), &ServiceAccount { metadata: meta("reader"), ..Default::default() })
        .await
        .unwrap();
    let tr = TokenRequest {
        spec: Some(TokenRequestSpec { audiences: Some(vec![]), expiration_seconds: Some(3600), ..Default::default() }),
        ..Default::default()
    };
    let token = sas
        .create_token_request("reader", &PostParams::default(), &tr)
        .await
        .unwrap()
        .status
        .expect("token status")
        .token
        .expect("token");

    let as_sa = cp.client_with_token(&token).await.unwrap();
    let secrets: Api<Secret> = Api::namespaced(as_sa, &ns);
    match secrets.list(&ListParams::default()).await {
        Err(kube::Error::Api(s)) => assert_eq!(s.code, 403, "expected Forbidden, got {s:?}"),
        other => panic!("listing Secrets without a RoleBinding must be forbidden, got {other:?}"),
    }

    let roles: Api<Role> = Api::namespaced(admin.clone(), &ns);
    let role = Role {
        metadata: meta("secret-reader"),
        rules: Some(vec![PolicyRule {
            api_groups: Some(vec![String::new()]),
            resources: Some(vec!["secrets".into()]),
            verbs: vec!["list".into()],
            ..Default::default()
        }]),
    };
    roles.create(&PostParams::default(), &role).await.unwrap();
    let rbs: Api<RoleBinding> = Api::namespaced(admin, &ns);
    let rb = RoleBinding {
        metadata: meta("reader-reads-secrets"),
        role_ref: RoleRef {
            api_group: Some("rbac.authorization.k8s.io".into()),
            kind: "Role".into(),
            name: "secret-reader".into(),
        },
        subjects: Some(vec![Subject {
            kind: "ServiceAccount".into(),
            name: "reader".into(),
            namespace: Some(ns.clone()),
            ..Default::default()
        }]),
    };
    rbs.create(&PostParams::default(), &rb).await.unwrap();

    // RBAC changes propagate through the authorizer's informer: poll, with a deadline.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match secrets.list(&ListParams::default()).await {
            Ok(_) => break,
            Err(kube::Error::Api(s)) if s.code == 403 && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(e) => panic!("listing Secrets after the RoleBinding must succeed, got {e:?}"),
        }
    }
}
