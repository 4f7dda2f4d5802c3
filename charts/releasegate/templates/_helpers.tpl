{{/* Names, labels and the few derived settings every template shares. */}}

{{- define "releasegate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "releasegate.fullname" -}}
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

{{- define "releasegate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "releasegate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "releasegate.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "releasegate.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: releasegate
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The pod's ports must differ (one container, one network namespace); with hostNetwork they are node
     ports as well. Rendering fails with the clash named, rather than a pod that cannot start. */}}
{{- define "releasegate.checkPorts" -}}
{{- $ports := dict -}}
{{- $named := list (list "webhook.port" .Values.webhook.port) (list "metrics.port" .Values.metrics.port) -}}
{{- if .Values.ui.port }}{{ $named = append $named (list "ui.port" .Values.ui.port) }}{{ end -}}
{{- range $named -}}
{{- $key := toString (index . 1) -}}
{{- if hasKey $ports $key -}}
{{- fail (printf "%s and %s are both %s: the webhook, metrics and graph page ports must differ" (get $ports $key) (index . 0) $key) -}}
{{- end -}}
{{- $_ := set $ports $key (index . 0) -}}
{{- end -}}
{{- end -}}

{{- define "releasegate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "releasegate.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "releasegate.secretName" -}}
{{- default (printf "%s-tls" (include "releasegate.fullname" .)) .Values.certificates.secretName -}}
{{- end -}}

{{- define "releasegate.leaseName" -}}
{{- default (printf "%s-leader" (include "releasegate.fullname" .)) .Values.controller.leaseName -}}
{{- end -}}

{{/* Cluster-scoped objects (ClusterRole, ClusterRoleBinding, ValidatingWebhookConfiguration) are named
     after the release namespace too, so two installations in different namespaces do not collide. */}}
{{- define "releasegate.clusterScopedName" -}}
{{- printf "%s-%s" (include "releasegate.fullname" .) .Release.Namespace | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The Flux resources releasegate guards: the webhook's rules and the ClusterRole both come from this
     list. HelmRelease and Kustomization in every served version; the Flux Operator's ResourceSet in v1. */}}
{{- define "releasegate.fluxResources" -}}
- {group: helm.toolkit.fluxcd.io, versions: ["*"], resource: helmreleases}
- {group: kustomize.toolkit.fluxcd.io, versions: ["*"], resource: kustomizations}
- {group: fluxcd.controlplane.io, versions: ["v1"], resource: resourcesets}
{{- end -}}

{{/* Whether releasegate itself writes the webhook configuration's caBundle: self-managed mode, and secret
     mode without certificates.secret.caBundle. cert-manager's cainjector does it in cert-manager mode. */}}
{{- define "releasegate.injectsCaBundle" -}}
{{- if or (eq .Values.certificates.mode "self-managed") (and (eq .Values.certificates.mode "secret") (not .Values.certificates.secret.caBundle)) -}}
true
{{- end -}}
{{- end -}}

{{- define "releasegate.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
