{{/* Names, labels and the wiring every component shares. */}}

{{- define "recotem.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "recotem.fullname" -}}
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

{{/* "<fullname>-<component>", the name of a component's objects and of its Service. */}}
{{- define "recotem.componentName" -}}
{{- printf "%s-%s" (include "recotem.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "recotem.selectorLabels" -}}
app.kubernetes.io/name: {{ include "recotem.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end -}}

{{- define "recotem.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "recotem.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: recotem
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* metadata for a component's object: name, labels and optional annotations. */}}
{{- define "recotem.metadata" -}}
name: {{ include "recotem.componentName" . }}
labels:
  {{- include "recotem.labels" . | nindent 2 }}
{{- end -}}

{{- define "recotem.fullStack" -}}
{{- if eq .Values.mode "full" }}true{{ end -}}
{{- end -}}

{{/* An image reference from one entry of .Values.images. */}}
{{- define "recotem.image" -}}
{{- $images := .root.Values.images -}}
{{- $image := index $images .image -}}
{{- $tag := $image.tag | default $images.tag | default .root.Chart.AppVersion -}}
{{- $reference := printf "%s/%s:%s" (trimSuffix "/" $images.registry) $image.repository $tag -}}
{{- if $image.digest }}{{ $reference = printf "%s@%s" $reference $image.digest }}{{ end -}}
{{- $reference -}}
{{- end -}}

{{/* An image reference for the evaluation database and Redis. */}}
{{- define "recotem.thirdPartyImage" -}}
{{- $reference := printf "%s:%s" .repository .tag -}}
{{- if .digest }}{{ $reference = printf "%s@%s" $reference .digest }}{{ end -}}
{{- $reference -}}
{{- end -}}

{{- define "recotem.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "recotem.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "recotem.secretName" -}}
{{- .Values.secrets.existingSecret | default (include "recotem.fullname" .) -}}
{{- end -}}

{{/* Ports the containers listen on; the Services use the same numbers. */}}
{{- define "recotem.backendPort" -}}8080{{- end -}}
{{- define "recotem.inferencePort" -}}8081{{- end -}}
{{- define "recotem.proxyPort" -}}8000{{- end -}}
{{- define "recotem.postgresqlPort" -}}5432{{- end -}}
{{- define "recotem.redisPort" -}}6379{{- end -}}

{{- define "recotem.databaseHost" -}}
{{- if .Values.postgresql.enabled -}}
{{- include "recotem.componentName" (dict "root" . "component" "postgresql") -}}
{{- else -}}
{{- .Values.externalDatabase.host -}}
{{- end -}}
{{- end -}}

{{- define "recotem.databasePort" -}}
{{- if .Values.postgresql.enabled }}{{ include "recotem.postgresqlPort" . }}{{ else }}{{ .Values.externalDatabase.port }}{{ end -}}
{{- end -}}

{{/* DATABASE_URL, with the password escaped for the URL's user-info part. */}}
{{- define "recotem.databaseUrl" -}}
{{- $db := .Values.externalDatabase -}}
{{- $user := $db.user -}}
{{- $password := $db.password -}}
{{- $name := $db.database -}}
{{- if .Values.postgresql.enabled -}}
{{- $user = .Values.postgresql.user -}}
{{- $password = .Values.postgresql.password -}}
{{- $name = .Values.postgresql.database -}}
{{- end -}}
{{- $escaped := urlquery $password | replace "+" "%20" -}}
{{- $url := printf "postgres://%s:%s@%s:%s/%s" (urlquery $user) $escaped (include "recotem.databaseHost" .) (include "recotem.databasePort" .) $name -}}
{{- if and (not .Values.postgresql.enabled) $db.options }}{{ $url = printf "%s?%s" $url $db.options }}{{ end -}}
{{- $url -}}
{{- end -}}

{{- define "recotem.redisUrl" -}}
{{- if .Values.redis.enabled -}}
{{- printf "redis://%s:%s" (include "recotem.componentName" (dict "root" . "component" "redis")) (include "recotem.redisPort" .) -}}
{{- else -}}
{{- printf "%s://%s:%v" (ternary "rediss" "redis" .Values.externalRedis.tls) .Values.externalRedis.host .Values.externalRedis.port -}}
{{- end -}}
{{- end -}}

{{- define "recotem.redisPortNumber" -}}
{{- if .Values.redis.enabled }}{{ include "recotem.redisPort" . }}{{ else }}{{ .Values.externalRedis.port }}{{ end -}}
{{- end -}}

{{/* The S3 endpoint's port: explicit in the URL, else 443 (80 for plain http). */}}
{{- define "recotem.s3Port" -}}
{{- $endpoint := .Values.storage.s3.endpointUrl -}}
{{- $explicit := regexFind ":[0-9]+$" (regexReplaceAll "^[a-z]+://([^/]*).*$" $endpoint "${1}") -}}
{{- if $explicit }}{{ trimPrefix ":" $explicit }}{{ else if hasPrefix "http://" $endpoint }}80{{ else }}443{{ end -}}
{{- end -}}

{{- define "recotem.s3" -}}
{{- if eq .Values.storage.type "s3" }}true{{ end -}}
{{- end -}}

{{/* Host names the backend must answer to, whatever the configuration. */}}
{{- define "recotem.allowedHosts" -}}
{{- $hosts := list -}}
{{- range .Values.ingress.hosts }}{{ $hosts = append $hosts .host }}{{ end -}}
{{- range .Values.config.allowedHosts }}{{ $hosts = append $hosts . }}{{ end -}}
{{- range list "backend" "proxy" -}}
{{- $service := include "recotem.componentName" (dict "root" $ "component" .) -}}
{{- $hosts = append $hosts $service -}}
{{- $hosts = append $hosts (printf "%s.%s.svc" $service $.Release.Namespace) -}}
{{- end -}}
{{- $hosts | uniq | join "," -}}
{{- end -}}

{{- define "recotem.csrfTrustedOrigins" -}}
{{- $origins := list -}}
{{- range .Values.ingress.hosts }}{{ $origins = append $origins (printf "https://%s" .host) }}{{ end -}}
{{- range .Values.config.csrfTrustedOrigins }}{{ $origins = append $origins . }}{{ end -}}
{{- $origins | uniq | join "," -}}
{{- end -}}

{{- define "recotem.trustedProxyHops" -}}
{{- if .Values.config.trustedProxyHops }}{{ .Values.config.trustedProxyHops }}{{ else }}{{ ternary 2 1 .Values.ingress.enabled }}{{ end -}}
{{- end -}}

{{/*
Non-secret settings shared by the backend image (backend, workers, beat, jobs) and the
inference service, which read the same variable names. Rendered as the ConfigMap's data
and, for the hook Jobs (which run before the ConfigMap exists), as inline env.
*/}}
{{- define "recotem.configData" -}}
{{- $c := .Values.config -}}
DEBUG: "false"
RECOTEM_DATA_DIR: /data
MEDIA_ROOT: /data/media
ALLOWED_HOSTS: {{ include "recotem.allowedHosts" . | quote }}
CSRF_TRUSTED_ORIGINS: {{ include "recotem.csrfTrustedOrigins" . | quote }}
CORS_ALLOWED_ORIGINS: {{ $c.corsAllowedOrigins | join "," | quote }}
SECURE_COOKIES: {{ $c.secureCookies | quote }}
NUM_PROXIES: {{ include "recotem.trustedProxyHops" . | quote }}
DATABASE_CONN_MAX_AGE: {{ .Values.externalDatabase.connMaxAgeSeconds | quote }}
REDIS_URL: {{ include "recotem.redisUrl" . | quote }}
ACCESS_TOKEN_LIFETIME: {{ $c.accessTokenLifetimeSeconds | quote }}
REFRESH_TOKEN_LIFETIME: {{ $c.refreshTokenLifetimeSeconds | quote }}
DEFAULT_ADMIN_USERNAME: {{ $c.adminUsername | quote }}
THROTTLE_ANON_RATE: {{ $c.throttle.anonRate | quote }}
THROTTLE_USER_RATE: {{ $c.throttle.userRate | quote }}
THROTTLE_LOGIN_RATE: {{ $c.throttle.loginRate | quote }}
API_KEY_FAILURE_RATE: {{ $c.apiKeyFailureRate | quote }}
WEBSOCKET_PING_SECONDS: {{ $c.websocketPingSeconds | quote }}
CONVERSION_ATTRIBUTION_WINDOW_SECONDS: {{ $c.conversionAttributionWindowSeconds | int64 | quote }}
RETRAINING_MIN_INTERVAL_MINUTES: {{ $c.retrainingMinIntervalMinutes | quote }}
RECOTEM_SAMPLE_DATA_DIR: {{ $c.sample.dataDir | quote }}
RECOTEM_SAMPLE_DATA_URL: {{ $c.sample.dataUrl | quote }}
RECOTEM_SAMPLE_DATA_MD5: {{ $c.sample.dataMd5 | quote }}
MAX_UPLOAD_SIZE: {{ $c.maxUploadSize | int64 | quote }}
MAX_DECOMPRESSED_SIZE: {{ $c.maxDecompressedSize | int64 | quote }}
RECOTEM_STORAGE_TYPE: {{ ternary "S3" "" (eq .Values.storage.type "s3") | quote }}
{{- if include "recotem.s3" . }}
AWS_STORAGE_BUCKET_NAME: {{ .Values.storage.s3.bucket | quote }}
AWS_S3_ENDPOINT_URL: {{ .Values.storage.s3.endpointUrl | quote }}
AWS_S3_REGION_NAME: {{ .Values.storage.s3.region | quote }}
AWS_LOCATION: {{ .Values.storage.s3.location | quote }}
{{- end }}
CELERY_TASK_TIME_LIMIT: {{ $c.celery.taskTimeLimitSeconds | quote }}
CELERY_TASK_SOFT_TIME_LIMIT: {{ $c.celery.taskSoftTimeLimitSeconds | quote }}
CELERY_RESULT_EXPIRES: {{ $c.celery.resultExpiresSeconds | quote }}
QUEUED_WORK_TIMEOUT_MINUTES: {{ $c.celery.queuedWorkTimeoutMinutes | quote }}
MAX_TASK_DELIVERIES: {{ $c.celery.maxTaskDeliveries | quote }}
TRAINING_MEMORY_BUDGET_MB: {{ $c.celery.trainingMemoryBudgetMb | quote }}
LOG_FORMAT: {{ $c.logging.format | quote }}
LOG_LEVEL: {{ $c.logging.level | quote }}
DJANGO_LOG_LEVEL: {{ $c.logging.djangoLevel | quote }}
CELERY_LOG_LEVEL: {{ $c.logging.celeryLevel | quote }}
INFERENCE_HOST: "0.0.0.0"
INFERENCE_PORT: {{ include "recotem.inferencePort" . | quote }}
INFERENCE_WORKERS: {{ .Values.inference.workers | quote }}
INFERENCE_PRELOAD_MODEL_IDS: {{ .Values.inference.preloadModelIds | join "," | quote }}
INFERENCE_MAX_LOADED_MODELS: {{ .Values.inference.maxLoadedModels | quote }}
INFERENCE_MAX_CACHE_BYTES: {{ .Values.inference.maxCacheBytes | quote }}
INFERENCE_RATE_LIMIT: {{ .Values.inference.rateLimit | quote }}
INFERENCE_MAX_BATCH_SIZE: {{ .Values.inference.maxBatchSize | quote }}
INFERENCE_MAX_CUTOFF: {{ .Values.inference.maxCutoff | quote }}
{{- with .Values.inference }}
INFERENCE_MAX_BODY_BYTES: {{ .maxBodyBytes | int64 | quote }}
INFERENCE_ACCESS_LOG: {{ .accessLog | quote }}
INFERENCE_API_KEY_CACHE_SECONDS: {{ .apiKeyCacheSeconds | quote }}
INFERENCE_API_KEY_RECHECK_SECONDS: {{ .apiKeyRecheckSeconds | quote }}
INFERENCE_IMPRESSION_FLUSH_SECONDS: {{ .impressionFlushSeconds | quote }}
INFERENCE_IMPRESSION_BUFFER_LIMIT: {{ .impressionBufferLimit | int64 | quote }}
INFERENCE_MODEL_RETRY_SECONDS: {{ .modelRetrySeconds | quote }}
INFERENCE_ROUTING_REFRESH_SECONDS: {{ .routingRefreshSeconds | quote }}
INFERENCE_RATE_LIMIT_SYNC_SECONDS: {{ .rateLimitSyncSeconds | quote }}
{{- end }}
INFERENCE_CORS_ALLOWED_ORIGINS: {{ .Values.inference.corsAllowedOrigins | join "," | quote }}
# The image's package directories are read-only; compiled scoring loops and Prometheus's
# multiprocess files go to the writable scratch volume.
NUMBA_CACHE_DIR: /tmp/numba
{{- range $name, $value := $c.extraEnv }}
{{ $name }}: {{ $value | quote }}
{{- end }}
{{- end -}}

{{/*
Secret settings, keyed like the environment. With secrets.existingSecret they come from
that Secret instead; keys that are optional there are marked so in "recotem.secretEnv".
*/}}
{{- define "recotem.secretData" -}}
SECRET_KEY: {{ .Values.secrets.secretKey | b64enc | quote }}
DATABASE_URL: {{ include "recotem.databaseUrl" . | b64enc | quote }}
{{- if eq (include "recotem.fullStack" .) "true" }}
DEFAULT_ADMIN_PASSWORD: {{ .Values.secrets.adminPassword | b64enc | quote }}
{{- end }}
{{- if .Values.postgresql.enabled }}
POSTGRES_PASSWORD: {{ .Values.postgresql.password | b64enc | quote }}
{{- end }}
{{- if and (not .Values.redis.enabled) .Values.externalRedis.password }}
REDIS_PASSWORD: {{ .Values.externalRedis.password | b64enc | quote }}
{{- end }}
{{- with .Values.secrets.modelSigningKeys }}
MODEL_SIGNING_KEYS: {{ join "," . | b64enc | quote }}
{{- end }}
{{- with .Values.secrets.metricsToken }}
INFERENCE_METRICS_TOKEN: {{ . | b64enc | quote }}
{{- end }}
{{- if and (include "recotem.s3" .) .Values.storage.s3.accessKeyId }}
AWS_ACCESS_KEY_ID: {{ .Values.storage.s3.accessKeyId | b64enc | quote }}
AWS_SECRET_ACCESS_KEY: {{ .Values.storage.s3.secretAccessKey | b64enc | quote }}
{{- end }}
{{- end -}}

{{/*
env entries for the secret settings a Recotem container reads. "keys" adds keys beyond
the shared ones (e.g. DEFAULT_ADMIN_PASSWORD for the bootstrap Job). A key the chart's
own Secret lacks is not referenced; with an existing Secret the optional ones are
referenced as optional.
*/}}
{{- define "recotem.secretEnv" -}}
{{- $root := .root -}}
{{- $secretName := .secretName | default (include "recotem.secretName" $root) -}}
{{- $existing := $root.Values.secrets.existingSecret -}}
{{- $present := include "recotem.secretData" $root | fromYaml -}}
{{- $required := concat (list "SECRET_KEY" "DATABASE_URL") (.keys | default list) -}}
{{- range $required }}
- name: {{ . }}
  valueFrom:
    secretKeyRef:
      name: {{ $secretName }}
      key: {{ . }}
{{- end }}
{{- range list "REDIS_PASSWORD" "MODEL_SIGNING_KEYS" "AWS_ACCESS_KEY_ID" "AWS_SECRET_ACCESS_KEY" "INFERENCE_METRICS_TOKEN" }}
{{- if or $existing (hasKey $present .) }}
- name: {{ . }}
  valueFrom:
    secretKeyRef:
      name: {{ $secretName }}
      key: {{ . }}
      {{- if $existing }}
      optional: true
      {{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The config as env entries, for the hook Jobs. */}}
{{- define "recotem.configEnv" -}}
{{- range $name, $value := include "recotem.configData" . | fromYaml }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end -}}

{{- define "recotem.configChecksum" -}}
checksum/config: {{ include "recotem.configData" . | sha256sum }}
checksum/secret: {{ include "recotem.secretData" . | sha256sum }}
{{- end -}}

{{- define "recotem.podSecurityContext" -}}
{{- toYaml .Values.podSecurityContext -}}
{{- end -}}

{{- define "recotem.containerSecurityContext" -}}
{{- toYaml .Values.containerSecurityContext -}}
{{- end -}}

{{/* Pod spec fields every Recotem pod shares. */}}
{{- define "recotem.podCommon" -}}
serviceAccountName: {{ include "recotem.serviceAccountName" . }}
automountServiceAccountToken: false
securityContext:
  {{- include "recotem.podSecurityContext" . | nindent 2 }}
{{- with .Values.images.pullSecrets }}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
{{- end -}}

{{/* Scheduling fields of a component (nodeSelector, tolerations, affinity, spread). */}}
{{- define "recotem.scheduling" -}}
{{- $values := .values -}}
{{- with $values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- $affinity := deepCopy ($values.affinity | default dict) -}}
{{- if and .mountsData (include "recotem.colocate" .root) -}}
{{- $term := dict "topologyKey" "kubernetes.io/hostname" "labelSelector" (dict "matchLabels" (include "recotem.dataVolumeLabel" .root | fromYaml)) -}}
{{- $podAffinity := $affinity.podAffinity | default dict -}}
{{- $_ := set $podAffinity "requiredDuringSchedulingIgnoredDuringExecution" (append ($podAffinity.requiredDuringSchedulingIgnoredDuringExecution | default list) $term) -}}
{{- $_ := set $affinity "podAffinity" $podAffinity -}}
{{- end }}
{{- with $affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $values.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Shared data: a claim unless the files live in S3. */}}
{{- define "recotem.usesClaim" -}}
{{- if ne .Values.storage.type "s3" }}true{{ end -}}
{{- end -}}

{{- define "recotem.claimName" -}}
{{- .Values.persistence.existingClaim | default (include "recotem.componentName" (dict "root" . "component" "data")) -}}
{{- end -}}

{{- define "recotem.colocate" -}}
{{- if and (include "recotem.usesClaim" .) .Values.persistence.colocate }}true{{ end -}}
{{- end -}}

{{/* Marks the pods that mount the data claim, for the colocation affinity. */}}
{{- define "recotem.dataVolumeLabel" -}}
{{- if include "recotem.usesClaim" . -}}
recotem.io/data-volume: {{ include "recotem.claimName" . | quote }}
{{- end -}}
{{- end -}}

{{/*
Volumes of a Recotem pod: the shared data ("claim": false, or with S3, a scratch
directory instead) and a writable /tmp.
*/}}
{{- define "recotem.dataVolumes" -}}
- name: data
{{- if and .claim (include "recotem.usesClaim" .root) }}
  persistentVolumeClaim:
    claimName: {{ include "recotem.claimName" .root }}
{{- else }}
  emptyDir: {}
{{- end }}
- name: tmp
  emptyDir: {}
{{- end -}}

{{- define "recotem.dataVolumeMounts" -}}
- name: data
  mountPath: /data
  {{- if .readOnly }}
  readOnly: true
  {{- end }}
- name: tmp
  mountPath: /tmp
{{- end -}}

{{/*
Container fields every backend-image container shares; "secretKeys" adds Secret keys
beyond the shared ones, "extraEnv" plain variables.
*/}}
{{- define "recotem.backendContainer" -}}
image: {{ include "recotem.image" (dict "root" .root "image" "backend") }}
imagePullPolicy: {{ .root.Values.images.pullPolicy }}
securityContext:
  {{- include "recotem.containerSecurityContext" .root | nindent 2 }}
envFrom:
  - configMapRef:
      name: {{ include "recotem.fullname" .root }}
env:
  {{- include "recotem.secretEnv" (dict "root" .root "keys" .secretKeys) | nindent 2 }}
  {{- range $name, $value := .extraEnv }}
  - name: {{ $name }}
    value: {{ $value | toString | quote }}
  {{- end }}
volumeMounts:
  {{- include "recotem.dataVolumeMounts" (dict) | nindent 2 }}
{{- end -}}

{{/*
Init container that holds a pod until the schema is migrated: on an install with the
evaluation database the migration Job can only run after the release's objects exist.
It only checks; migrations run in the hook Job alone.
*/}}
{{- define "recotem.waitForMigrations" -}}
- name: wait-for-migrations
  {{- include "recotem.backendContainer" (dict "root" . "extraEnv" dict) | nindent 2 }}
  args:
    - sh
    - -c
    - until python manage.py migrate --check --no-input -v 0; do echo "waiting for migrations"; sleep 5; done
  resources:
    {{- toYaml .Values.jobs.resources | nindent 4 }}
{{- end -}}

{{/* Probes of an HTTP container; the Host header is one the service accepts. */}}
{{- define "recotem.httpProbe" -}}
httpGet:
  path: {{ .path }}
  port: http
  {{- with .host }}
  httpHeaders:
    - name: Host
      value: {{ . }}
  {{- end }}
{{- end -}}

{{/*
Migrations run before the release's objects are applied (pre-install/pre-upgrade), except
on the install of an evaluation database that is itself one of those objects: then they
run right after it (post-install) and the pods wait for them.
*/}}
{{- define "recotem.migrationsBeforeInstall" -}}
{{- if not .Values.postgresql.enabled }}true{{ end -}}
{{- end -}}

{{- define "recotem.migrationHookEvents" -}}
{{- if include "recotem.migrationsBeforeInstall" . }}pre-install,pre-upgrade{{ else }}post-install,pre-upgrade{{ end -}}
{{- end -}}

{{- define "recotem.hookSecretName" -}}
{{- include "recotem.componentName" (dict "root" . "component" "migrate") -}}
{{- end -}}

{{/* The migration Job's Secret: the existing one, or the hook copy of the chart's. */}}
{{- define "recotem.migrationSecretName" -}}
{{- if .Values.secrets.existingSecret }}{{ .Values.secrets.existingSecret }}{{ else }}{{ include "recotem.hookSecretName" . }}{{ end -}}
{{- end -}}

{{/* The migration Job may run before the release's ServiceAccount exists. */}}
{{- define "recotem.migrationServiceAccountName" -}}
{{- if .Values.serviceAccount.create }}{{ include "recotem.hookSecretName" . }}{{ else }}{{ include "recotem.serviceAccountName" . }}{{ end -}}
{{- end -}}

{{/*
Environment of the proxy image's nginx templates (PROXY_* variables): upstreams, listen
port, rate limits, body limit and the trusted hop.
*/}}
{{- define "recotem.proxyConfigData" -}}
{{- $proxy := .Values.proxy -}}
PROXY_LISTEN: {{ include "recotem.proxyPort" . | quote }}
{{- /* The proxy image starts nginx with the configuration PROXY_CONFIG names. */}}
PROXY_CONFIG: {{ ternary "nginx.conf" "nginx-inference.conf" (eq (include "recotem.fullStack" .) "true") | quote }}
{{- if include "recotem.fullStack" . }}
PROXY_BACKEND: {{ printf "%s:%s" (include "recotem.componentName" (dict "root" . "component" "backend")) (include "recotem.backendPort" .) | quote }}
{{- end }}
PROXY_INFERENCE: {{ printf "%s:%s" (include "recotem.componentName" (dict "root" . "component" "inference")) (include "recotem.inferencePort" .) | quote }}
PROXY_API_RATE: {{ $proxy.rateLimits.api.rate | quote }}
PROXY_API_BURST: {{ $proxy.rateLimits.api.burst | quote }}
PROXY_LOGIN_RATE: {{ $proxy.rateLimits.login.rate | quote }}
PROXY_LOGIN_BURST: {{ $proxy.rateLimits.login.burst | quote }}
PROXY_INFERENCE_RATE: {{ $proxy.rateLimits.inference.rate | quote }}
PROXY_INFERENCE_BURST: {{ $proxy.rateLimits.inference.burst | quote }}
{{- /* The backend refuses uploads over the limit itself; nginx allows the multipart framing on top. */}}
PROXY_MAX_BODY_SIZE: {{ printf "%dm" (add1 (div (add .Values.config.maxUploadSize 1048575) 1048576)) | quote }}
{{- with $proxy.trustedProxyCidr }}
PROXY_TRUSTED_PROXY: {{ . | quote }}
{{- end }}
{{- end -}}

{{/* Directories nginx writes to, each an emptyDir under the read-only root filesystem. */}}
{{- define "recotem.proxyWritableDirs" -}}
nginx-cache: /var/cache/nginx
nginx-run: /var/run
nginx-conf: /etc/nginx/conf.d
tmp: /tmp
{{- end -}}

{{/*
Components with replicas, autoscaling and a disruption budget (beat has none), each with
the key of its values.
*/}}
{{- define "recotem.scalableComponents" -}}
{{- if include "recotem.fullStack" . }}
backend: backend
worker: worker
ingestion-worker: ingestionWorker
{{- end }}
inference: inference
proxy: proxy
{{- end -}}

{{/* One NetworkPolicy egress rule towards a component of the release or an external service. */}}
{{- define "recotem.egressRule" -}}
{{- $root := .root -}}
{{- $inRelease := dict "backend" (include "recotem.backendPort" $root) "inference" (include "recotem.inferencePort" $root) "proxy" (include "recotem.proxyPort" $root) -}}
{{- if $root.Values.postgresql.enabled }}{{ $_ := set $inRelease "database" (include "recotem.postgresqlPort" $root) }}{{ end -}}
{{- if $root.Values.redis.enabled }}{{ $_ := set $inRelease "redis" (include "recotem.redisPort" $root) }}{{ end -}}
{{- if hasKey $inRelease .target -}}
{{- $component := get (dict "database" "postgresql" "redis" "redis") .target | default .target -}}
- to:
    - podSelector:
        matchLabels:
          {{- include "recotem.selectorLabels" (dict "root" $root "component" $component) | nindent 10 }}
  ports:
    - port: {{ get $inRelease .target }}
      protocol: TCP
{{- else -}}
{{- $external := dict
  "database" (dict "port" $root.Values.externalDatabase.port "peers" $root.Values.externalDatabase.networkPolicyPeers)
  "redis" (dict "port" $root.Values.externalRedis.port "peers" $root.Values.externalRedis.networkPolicyPeers)
  "s3" (dict "port" (include "recotem.s3Port" $root) "peers" $root.Values.storage.s3.networkPolicyPeers) -}}
{{- $target := get $external .target -}}
- ports:
    - port: {{ $target.port }}
      protocol: TCP
  {{- with $target.peers }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
{{- end -}}
