{{/* Names, labels and the pieces every Souk pod shares. */}}

{{- define "souk.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "souk.fullname" -}}
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

{{- define "souk.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "souk.selectorLabels" -}}
app.kubernetes.io/name: {{ include "souk.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "souk.labels" -}}
helm.sh/chart: {{ include "souk.chart" . }}
{{ include "souk.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Labels of one component: (dict "root" $ "component" "web") */}}
{{- define "souk.componentLabels" -}}
{{ include "souk.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "souk.componentSelectorLabels" -}}
{{ include "souk.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "souk.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{- define "souk.configMapName" -}}
{{- printf "%s-config" (include "souk.fullname" .) }}
{{- end }}

{{- define "souk.secretName" -}}
{{- printf "%s-secrets" (include "souk.fullname" .) }}
{{- end }}

{{- define "souk.allowedHosts" -}}
{{- if .Values.allowedHosts }}
{{- join "," .Values.allowedHosts }}
{{- else }}
{{- join "," (prepend .Values.customDomains (printf ".%s" .Values.platformDomain)) }}
{{- end }}
{{- end }}

{{/* The ConfigMap's data: every non-secret setting. */}}
{{- define "souk.configData" -}}
{{- $s := .Values.settings -}}
DJANGO_SETTINGS_MODULE: core.settings.prod
DEBUG: "false"
PLATFORM_DOMAIN: {{ .Values.platformDomain | quote }}
ALLOWED_HOSTS: {{ include "souk.allowedHosts" . | quote }}
SOUK_MODULES: {{ join "," $s.modules | quote }}
SOUK_SCHEMA_POOL_SIZE: {{ $s.schemaPoolSize | int | quote }}
SOUK_PROVISION_MIGRATE_FALLBACK: {{ $s.provisionMigrateFallback | quote }}
SOUK_MIGRATE_PARALLEL: {{ $s.migrateParallel | int | quote }}
SOUK_TRUSTED_PROXY_COUNT: {{ $s.trustedProxyCount | int | quote }}
SOUK_RISK_IP_COUNTRY_HEADER: {{ $s.riskIpCountryHeader | default "" | quote }}
SOUK_SEARCH_BACKEND: {{ ternary "opensearch" "postgres" .Values.opensearch.enabled | quote }}
SOUK_PAYMENT_PROVIDER: {{ .Values.payments.provider | quote }}
SOUK_ALLOW_SANDBOX_PAYMENTS: {{ .Values.payments.allowSandbox | toString | quote }}
LOG_LEVEL: {{ $s.logLevel | quote }}
LOG_FORMAT: {{ $s.logFormat | quote }}
DB_CONN_MAX_AGE: {{ $s.dbConnMaxAge | int | quote }}
CELERY_VISIBILITY_TIMEOUT: {{ $s.celeryVisibilityTimeout | int | quote }}
DATA_UPLOAD_MAX_MEMORY_SIZE: {{ $s.dataUploadMaxMemorySize | int | quote }}
SECURE_SSL_REDIRECT: {{ $s.secureSslRedirect | quote }}
SECURE_HSTS_SECONDS: {{ $s.secureHstsSeconds | int | quote }}
{{- with .Values.s3.bucket }}
AWS_STORAGE_BUCKET_NAME: {{ . | quote }}
{{- end }}
{{- with .Values.s3.region }}
AWS_S3_REGION_NAME: {{ . | quote }}
{{- end }}
{{- with .Values.s3.endpointUrl }}
AWS_S3_ENDPOINT_URL: {{ . | quote }}
{{- end }}
{{- with .Values.s3.addressingStyle }}
AWS_S3_ADDRESSING_STYLE: {{ . | quote }}
{{- end }}
{{- if .Values.opensearch.enabled }}
OPENSEARCH_INDEX_PREFIX: {{ .Values.opensearch.indexPrefix | quote }}
{{- if and .Values.opensearch.url (not .Values.opensearch.existingSecret) }}
OPENSEARCH_URL: {{ .Values.opensearch.url | quote }}
{{- end }}
{{- end }}
{{- range $name, $value := $s.extraEnv }}
{{ $name }}: {{ $value | toString | quote }}
{{- end }}
{{- end }}

{{/*
Secret variables as a JSON list of {env, inline, existing, key}: the environment variable, its
inline value (kept in the chart's Secret), and an existing Secret and key that replace it.
A variable is wired when it has either; optional ones that have neither are left out.
*/}}
{{- define "souk.secretVariables" -}}
{{- $v := .Values -}}
{{- $vars := list
  (dict "env" "SECRET_KEY" "inline" $v.secretKey.value "existing" $v.secretKey.existingSecret "key" $v.secretKey.existingSecretKey)
  (dict "env" "SOUK_ENCRYPTION_KEY" "inline" $v.encryptionKey.value "existing" $v.encryptionKey.existingSecret "key" $v.encryptionKey.existingSecretKey)
  (dict "env" "DATABASE_URL" "inline" $v.database.url "existing" $v.database.existingSecret "key" $v.database.existingSecretKey)
  (dict "env" "REDIS_URL" "inline" $v.redis.url "existing" $v.redis.existingSecret "key" $v.redis.existingSecretKey)
  (dict "env" "AWS_ACCESS_KEY_ID" "inline" $v.s3.accessKeyId "existing" $v.s3.existingSecret "key" $v.s3.accessKeyIdKey)
  (dict "env" "AWS_SECRET_ACCESS_KEY" "inline" $v.s3.secretAccessKey "existing" $v.s3.existingSecret "key" $v.s3.secretAccessKeyKey)
  (dict "env" "METRICS_TOKEN" "inline" $v.metrics.token "existing" $v.metrics.existingSecret "key" $v.metrics.existingSecretKey)
  (dict "env" "SENTRY_DSN" "inline" $v.sentry.dsn "existing" $v.sentry.existingSecret "key" $v.sentry.existingSecretKey)
  (dict "env" "STRIPE_SECRET_KEY" "inline" $v.payments.stripe.secretKey "existing" $v.payments.stripe.existingSecret "key" $v.payments.stripe.secretKeyKey)
  (dict "env" "STRIPE_WEBHOOK_SECRET" "inline" $v.payments.stripe.webhookSecret "existing" $v.payments.stripe.existingSecret "key" $v.payments.stripe.webhookSecretKey)
-}}
{{- if $v.opensearch.enabled }}
{{- /* An inline OpenSearch URL is in the ConfigMap; only an existing Secret is wired here. */}}
{{- $vars = append $vars (dict "env" "OPENSEARCH_URL" "inline" "" "existing" $v.opensearch.existingSecret "key" $v.opensearch.existingSecretKey) }}
{{- end }}
{{- toJson $vars }}
{{- end }}

{{/* The chart-made Secret's data: the inline values that no existing Secret replaces. */}}
{{- define "souk.secretData" -}}
{{- range (include "souk.secretVariables" . | fromJsonArray) }}
{{- if and .inline (not .existing) }}
{{ .env }}: {{ .inline | b64enc | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* env entries of every Souk container: (dict "root" $ "secretName" "<chart Secret>") */}}
{{- define "souk.secretEnv" -}}
{{- $secretName := .secretName -}}
{{- range (include "souk.secretVariables" .root | fromJsonArray) }}
{{- if .existing }}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ .existing }}
      key: {{ .key }}
{{- else if .inline }}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ $secretName }}
      key: {{ .env }}
{{- end }}
{{- end }}
{{- end }}

{{/* Rolls the pods when a setting or an inline secret changes. */}}
{{- define "souk.configChecksum" -}}
{{- printf "%s\n%s" (include "souk.configData" .) (include "souk.secretData" .) | sha256sum }}
{{- end }}

{{/* Pod template metadata: (dict "root" $ "component" "web") */}}
{{- define "souk.podMetadata" -}}
metadata:
  labels:
    {{- include "souk.componentSelectorLabels" . | nindent 4 }}
    {{- with .root.Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    checksum/config: {{ include "souk.configChecksum" .root }}
    {{- with .root.Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end }}

{{/* Pod-level fields every Souk pod shares: (dict "root" $ "component" "web") */}}
{{- define "souk.podSpecCommon" -}}
{{- $root := .root -}}
automountServiceAccountToken: false
{{- with $root.Values.serviceAccountName }}
serviceAccountName: {{ . }}
{{- end }}
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml $root.Values.podSecurityContext | nindent 2 }}
{{- with $root.Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if and $root.Values.spreadAcrossNodes (has .component (list "web" "worker")) }}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "souk.componentSelectorLabels" . | nindent 8 }}
{{- end }}
{{- end }}

{{/* Container fields every Souk container shares: (dict "root" $ "configMapName" "...") */}}
{{- define "souk.containerCommon" -}}
image: {{ include "souk.image" .root }}
imagePullPolicy: {{ .root.Values.image.pullPolicy }}
securityContext:
  {{- toYaml .root.Values.securityContext | nindent 2 }}
envFrom:
  - configMapRef:
      name: {{ .configMapName }}
{{- end }}

{{- define "souk.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end }}

{{/*
ingress-nginx annotations that keep WebSockets open (the client also pings every 25 s); a key
set in ingress.annotations wins.
*/}}
{{- define "souk.websocketAnnotations" -}}
{{- $seconds := .websocketTimeoutSeconds | toString | quote }}
{{- range $key := list "nginx.ingress.kubernetes.io/proxy-read-timeout" "nginx.ingress.kubernetes.io/proxy-send-timeout" }}
{{- if not (hasKey $.annotations $key) }}
{{ $key }}: {{ $seconds }}
{{- end }}
{{- end }}
{{- end }}
