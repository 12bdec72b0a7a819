{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "hookwright.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: release name, plus the chart name unless the release name contains it. */}}
{{- define "hookwright.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "hookwright.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels: stable for the life of a release (Deployment selectors are immutable). */}}
{{- define "hookwright.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hookwright.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Labels of every object. managed-by is Helm's: the objects of this chart are Helm's, not the
operator's (the operator labels the Secrets it generates managed-by: hookwright).
*/}}
{{- define "hookwright.labels" -}}
helm.sh/chart: {{ include "hookwright.chart" . }}
{{ include "hookwright.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: hookwright
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "hookwright.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "hookwright.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The user the apiserver sees for the operator's ServiceAccount token. */}}
{{- define "hookwright.serviceAccountUser" -}}
system:serviceaccount:{{ .Release.Namespace }}:{{ include "hookwright.serviceAccountName" . }}
{{- end }}

{{- define "hookwright.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Namespace-scoped install? */}}
{{- define "hookwright.namespaced" -}}
{{- if .Values.watch.namespace }}true{{ end }}
{{- end }}

{{/* The operator's ServiceAccount as an RBAC subject. */}}
{{- define "hookwright.subject" -}}
- kind: ServiceAccount
  name: {{ include "hookwright.serviceAccountName" . }}
  namespace: {{ .Release.Namespace }}
{{- end }}
