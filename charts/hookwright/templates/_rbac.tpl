{{/*
RBAC rules, derived from what the operator calls (src/controller/*.rs, src/secrets.rs) and
proven by tests/chart.rs: enough to bring every example to Ready, nothing else allowed.
README.md explains each rule.
*/}}

{{/* Rules on namespaced kinds: a ClusterRole (cluster-wide) or a Role in the watched namespace. */}}
{{- define "hookwright.rules.namespaced" -}}
# Webhooks: the controller's watch (list, watch), reads (get), the finalizer (JSON patch) and
# the hookwright.dev/external-id annotation recorded after a create (merge patch).
- apiGroups: [hookwright.dev]
  resources: [webhooks]
  verbs: [get, list, watch, patch]
# Webhook status, written with server-side apply (field manager hookwright).
- apiGroups: [hookwright.dev]
  resources: [webhooks/status]
  verbs: [patch]
# No webhooks/finalizers: the generated Secret's ownerReference does not set
# blockOwnerDeletion, so OwnerReferencesPermissionEnforcement asks for nothing more
# (tests/chart/install.rs checks that it stays unset).
# WebhookProviders: watched (list, watch) and read (get); status (Ready, rate budget) by
# server-side apply.
- apiGroups: [hookwright.dev]
  resources: [webhookproviders]
  verbs: [get, list, watch]
- apiGroups: [hookwright.dev]
  resources: [webhookproviders/status]
  verbs: [patch]
# Secrets: read the token, validation-secret and header Secrets (get); a metadata-only watch of
# Secrets re-triggers the Webhooks that use one (list, watch); create the generated
# <webhook>-validation-secret. Never update, patch or delete: the admission policy also limits
# create to that one kind of Secret.
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, list, watch, create]
# Events about Webhooks (kube-runtime's Recorder creates events.k8s.io Events and patches
# their series count).
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [create, patch]
{{- end }}

{{/* Rules on the cluster-scoped ClusterWebhookProvider. */}}
{{- define "hookwright.rules.cluster" -}}
- apiGroups: [hookwright.dev]
  resources: [clusterwebhookproviders]
  verbs: [get, list, watch]
- apiGroups: [hookwright.dev]
  resources: [clusterwebhookproviders/status]
  verbs: [patch]
{{- end }}
