{{/* Names are cut at 63 characters: the limit of a DNS label. */}}
{{- define "identity-service.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "identity-service.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "identity-service.commonLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "identity-service.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/*
The component label keeps the migration Job's pod out of the Service, the
PodDisruptionBudget and the NetworkPolicy of the server pods.
*/}}
{{- define "identity-service.selectorLabels" -}}
app.kubernetes.io/name: {{ include "identity-service.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: server
{{- end -}}

{{- define "identity-service.labels" -}}
{{ include "identity-service.commonLabels" . }}
app.kubernetes.io/component: server
{{- end -}}

{{- define "identity-service.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "identity-service.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "identity-service.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "identity-service.migrationJobName" -}}
{{- printf "%s-migrate" (include "identity-service.fullname" . | trunc 55 | trimSuffix "-") -}}
{{- end -}}

{{- define "identity-service.clientsFile" -}}
{{- printf "%s/%s" .Values.secrets.clients.mountPath .Values.secrets.clients.key -}}
{{- end -}}

{{- define "identity-service.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.securityContext.runAsUser | int64 }}
runAsGroup: {{ .Values.securityContext.runAsGroup | int64 }}
fsGroup: {{ .Values.securityContext.fsGroup | int64 }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "identity-service.containerSecurityContext" -}}
runAsNonRoot: true
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
privileged: false
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "identity-service.databaseEnv" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secrets.database.name | quote }}
      key: {{ .Values.secrets.database.key | quote }}
{{- end -}}

{{/* Checks that span several values, which values.schema.json cannot express. */}}
{{- define "identity-service.validate" -}}
{{- $drainMs := add (int .Values.config.shutdownDelayMs) (int .Values.config.shutdownGraceMs) -}}
{{- if le (mul (int .Values.terminationGracePeriodSeconds) 1000) $drainMs -}}
{{- fail (printf "terminationGracePeriodSeconds (%d s) must exceed config.shutdownDelayMs + config.shutdownGraceMs (%d ms), else pods are killed while draining" (int .Values.terminationGracePeriodSeconds) (int $drainMs)) -}}
{{- end -}}
{{- if gt (int .Values.config.headersTimeoutMs) (int .Values.config.requestTimeoutMs) -}}
{{- fail "config.headersTimeoutMs must not exceed config.requestTimeoutMs, which covers the headers too" -}}
{{- end -}}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) -}}
{{- fail "autoscaling.minReplicas must not exceed autoscaling.maxReplicas" -}}
{{- end -}}
{{- end -}}
