{{/* Chart name, truncated to the DNS label limit. */}}
{{- define "vers.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Fully qualified release name: "vers" for a release named vers, else "<release>-vers" unless it contains "vers". */}}
{{- define "vers.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "vers.operator.fullname" -}}{{ include "vers.fullname" . }}-operator{{- end -}}
{{- define "vers.apiShim.fullname" -}}{{ include "vers.fullname" . }}-api-shim{{- end -}}

{{- define "vers.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "vers.labels" -}}
helm.sh/chart: {{ include "vers.chart" . }}
app.kubernetes.io/name: {{ include "vers.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: vers
{{- end -}}

{{- define "vers.operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vers.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "vers.apiShim.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vers.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: api-shim
{{- end -}}

{{- define "vers.operator.serviceAccountName" -}}
{{- if .Values.serviceAccounts.create -}}
{{- default (include "vers.operator.fullname" .) .Values.serviceAccounts.operator.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccounts.operator.name -}}
{{- end -}}
{{- end -}}

{{- define "vers.apiShim.serviceAccountName" -}}
{{- if .Values.serviceAccounts.create -}}
{{- default (include "vers.apiShim.fullname" .) .Values.serviceAccounts.apiShim.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccounts.apiShim.name -}}
{{- end -}}
{{- end -}}

{{/* image: repository:tag, tag defaulting to the appVersion. Usage: include "vers.image" (list .Values.operator.image .) */}}
{{- define "vers.image" -}}
{{- $image := index . 0 -}}
{{- $root := index . 1 -}}
{{- printf "%s:%s" $image.repository (default $root.Chart.AppVersion $image.tag) -}}
{{- end -}}

{{/* The namespace of an org entry. */}}
{{- define "vers.orgNamespace" -}}
{{- default .name .namespace -}}
{{- end -}}
