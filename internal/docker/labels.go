package docker

import "github.com/moby/moby/client"

// Labels on everything kdev creates. They are kdev's only state: there is no state file.
const (
	// LabelManaged marks an object as kdev's.
	LabelManaged = "dev.kdev.managed"
	// LabelEnv names the environment a network or local registry belongs to.
	LabelEnv = "dev.kdev.env"
	// LabelRole says what the object is: network, mirror, cache, registry, registry-data.
	LabelRole = "dev.kdev.role"
	// LabelRegistry names the upstream host of a mirror or a cache volume.
	LabelRegistry = "dev.kdev.registry"
	// LabelSpec is a hash of the settings a container was created from; a change re-creates it.
	LabelSpec = "dev.kdev.spec"
	// LabelMode is a mirror's mode: proxy, or cache-only when its upstream was unreachable.
	LabelMode = "dev.kdev.mode"
	// LabelRemote is a mirror's upstream URL (never with credentials).
	LabelRemote = "dev.kdev.remote"
	// LabelKey is a mirror's identity (registry, upstream, account): its name's suffix.
	LabelKey = "dev.kdev.key"
)

// Roles.
const (
	RoleNetwork      = "network"
	RoleMirror       = "mirror"
	RoleCache        = "cache"
	RoleRegistry     = "registry"
	RoleRegistryData = "registry-data"
	// RoleMaintenance marks the short-lived containers that reach a cache volume for
	// kdev cache: never started, or stopped once done, and removed after.
	RoleMaintenance = "cache-maintenance"
)

// Labels returns kdev's ownership labels for an object of a role, plus extra pairs.
func Labels(role string, kv ...string) map[string]string {
	l := map[string]string{LabelManaged: "true", LabelRole: role}
	for i := 0; i+1 < len(kv); i += 2 {
		l[kv[i]] = kv[i+1]
	}
	return l
}

// Filter selects kdev's objects of a role, narrowed by extra label pairs.
func Filter(role string, kv ...string) client.Filters {
	f := make(client.Filters).Add("label", LabelManaged+"=true", LabelRole+"="+role)
	for i := 0; i+1 < len(kv); i += 2 {
		f.Add("label", kv[i]+"="+kv[i+1])
	}
	return f
}
