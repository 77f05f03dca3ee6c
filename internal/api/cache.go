package api

import "time"

// KindCacheList names the CacheList document.
const KindCacheList = "CacheList"

// CacheList is `kdev cache ls -o json`: every kdev mirror cache on the machine.
type CacheList struct {
	TypeMeta
	Caches []CacheEntry `json:"caches"`
}

// CacheEntry is one mirror cache: a Docker volume, shared by every environment whose
// mirror has the same registry, upstream and account.
type CacheEntry struct {
	// Registry is the host nodes pull from; Upstream where the mirror fetches from.
	Registry string `json:"registry"`
	Upstream string `json:"upstream"`
	// Key is the mirror's identity, as kdev names its container and volume.
	Key    string `json:"key"`
	Volume string `json:"volume"`
	// Bytes is the volume's size on disk; -1 when Docker does not say.
	Bytes int64 `json:"bytes"`
	// Mirror is the container that serves it, absent when none does.
	Mirror      string `json:"mirror,omitempty"`
	MirrorState string `json:"mirrorState,omitempty"`
	// LastUsed is when the cache last changed (a pull by tag refreshes its tag);
	// absent when it is empty.
	LastUsed     *time.Time   `json:"lastUsed,omitempty"`
	Repositories []CachedRepo `json:"repositories"`
}

// CachedRepo is a repository in a cache.
type CachedRepo struct {
	Name     string     `json:"name"`
	Tags     []string   `json:"tags"`
	LastUsed *time.Time `json:"lastUsed,omitempty"`
}
