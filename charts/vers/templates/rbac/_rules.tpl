{{/*
The rules, kept in one place. config/rbac carries the same rules for kubectl/kustomize users; a test checks
that both agree and that the components use every verb granted here (a few commented exceptions aside).
*/}}
{{- define "vers.operator.rules" -}}
# Forks are reconciled from an informer: the rollback finalizer is patched on and off, finished forks expire
# (ttlSecondsAfterFinished).
- apiGroups: ["vers.sh"]
  resources: ["repositoryforks"]
  verbs: ["list", "watch", "patch", "delete"]
- apiGroups: ["vers.sh"]
  resources: ["repositoryforks/status"]
  verbs: ["update"]
# Repositories, tags and commits are read (fork sources) and written (fork results, rollback).
- apiGroups: ["vers.sh"]
  resources: ["repositories", "tags", "commits"]
  verbs: ["get", "list", "watch", "create", "delete"]
- apiGroups: ["vers.sh"]
  resources: ["commits/status"]
  verbs: ["patch"]
# Patched: a Tag's status is part of the object (no status subresource), created with it and patched only into an
# adopted Tag that lacks it; Repositories and Commits carry the operator's finalizers (a Repository's deletes its
# Tags, a Commit's keeps it while Tags point at it), added to those created by others and removed on deletion.
- apiGroups: ["vers.sh"]
  resources: ["tags", "repositories", "commits"]
  verbs: ["patch"]
# The Repository controller, the one writer of Repository status, writes it with the resourceVersion it read (PUT),
# retrying on conflict.
- apiGroups: ["vers.sh"]
  resources: ["repositories/status"]
  verbs: ["update"]
# Owner references with blockOwnerDeletion (Tag -> Repository, VirtualMachineSnapshot -> Commit) need update
# on the owner's finalizers where the OwnerReferencesPermissionEnforcement admission plugin runs (OpenShift).
- apiGroups: ["vers.sh"]
  resources: ["repositories/finalizers", "commits/finalizers"]
  verbs: ["update"]
# Organisations are namespaces labelled vers.sh/org.
- apiGroups: [""]
  resources: ["namespaces"]
  verbs: ["list", "watch"]
# KubeVirt: the fork's VM (created, started by patching runStrategy), its clone and its commit snapshot.
- apiGroups: ["kubevirt.io"]
  resources: ["virtualmachines"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["snapshot.kubevirt.io"]
  resources: ["virtualmachinesnapshots"]
  verbs: ["get", "list", "watch", "create", "delete"]
- apiGroups: ["snapshot.kubevirt.io"]
  resources: ["virtualmachinesnapshotcontents"]
  verbs: ["get"]
- apiGroups: ["clone.kubevirt.io"]
  resources: ["virtualmachineclones"]
  verbs: ["get", "list", "watch", "create", "delete"]
# CDI: DataVolumes for cross-namespace forks, cloned from VolumeSnapshots in the source namespace (the right to use
# a namespace as a clone source is vers.operator.cloneSourceRules, granted per organisation).
- apiGroups: ["cdi.kubevirt.io"]
  resources: ["datavolumes"]
  verbs: ["get", "list", "watch", "create", "delete"]
# Rollback of a same-organisation fork: the PVCs KubeVirt restored for the cloned VM, named <vm>-<volume>
# (volumeNamePolicy PrefixTargetName); KubeVirt does not make the VM own volumes restored from standalone DataVolumes.
- apiGroups: [""]
  resources: ["persistentvolumeclaims"]
  verbs: ["delete"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create"]
{{- end -}}

{{- define "vers.operator.cloneSourceRules" -}}
# CDI authorises a DataVolume cloned from another namespace with a SubjectAccessReview for its creator: create on
# datavolumes/source in the source namespace (cdi-apiserver datavolume-mutate). Bound per organisation namespace only.
- apiGroups: ["cdi.kubevirt.io"]
  resources: ["datavolumes/source"]
  verbs: ["create"]
{{- end -}}

{{- define "vers.operator.leaderElectionRules" -}}
- apiGroups: ["coordination.k8s.io"]
  resources: ["leases"]
  verbs: ["get", "create", "update"]
{{- end -}}

{{- define "vers.apiShim.rules" -}}
# Forks it creates and waits for (one shared informer); a fork looked up by its Idempotency-Key name.
- apiGroups: ["vers.sh"]
  resources: ["repositoryforks"]
  verbs: ["create", "get", "list", "watch"]
# Read endpoints for repositories and tags (informers; get for lookups outside the cache).
- apiGroups: ["vers.sh"]
  resources: ["repositories", "tags"]
  verbs: ["get", "list", "watch"]
# Organisations are namespaces labelled vers.sh/org.
- apiGroups: [""]
  resources: ["namespaces"]
  verbs: ["list", "watch"]
# GET /api/v1/vms: the organisation's VirtualMachines, from an informer.
- apiGroups: ["kubevirt.io"]
  resources: ["virtualmachines"]
  verbs: ["list", "watch"]
{{- end -}}

{{- define "vers.apiShim.keyRules" -}}
# API keys: Secrets labelled vers.sh/api-key in the release namespace.
- apiGroups: [""]
  resources: ["secrets"]
  verbs: {{ if .Values.apiShim.keyManagementInPod }}["list", "watch", "create", "delete"]{{ else }}["list", "watch"]{{ end }}
{{- end -}}

{{- define "vers.editorRules" -}}
- apiGroups: ["vers.sh"]
  resources: ["repositories", "tags", "commits", "repositoryforks"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: ["vers.sh"]
  resources: ["repositories/status", "commits/status", "repositoryforks/status"]
  verbs: ["get"]
{{- end -}}

{{- define "vers.viewerRules" -}}
- apiGroups: ["vers.sh"]
  resources: ["repositories", "tags", "commits", "repositoryforks"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["vers.sh"]
  resources: ["repositories/status", "commits/status", "repositoryforks/status"]
  verbs: ["get"]
{{- end -}}


{{- define "vers.operator.cloneSourceBinding" -}}
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: {{ include "vers.operator.fullname" .root }}-clone-source
  namespace: {{ .namespace }}
  labels:
    {{- include "vers.labels" .root | nindent 4 }}
    app.kubernetes.io/component: operator
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: {{ include "vers.operator.fullname" .root }}-clone-source
subjects:
  - kind: ServiceAccount
    name: {{ include "vers.operator.serviceAccountName" .root }}
    namespace: {{ .root.Release.Namespace }}
{{- end -}}
