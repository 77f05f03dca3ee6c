package cache

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

// v2 is a cache as Docker's copy hands it out: a tar of distribution's v2 directory.
type v2 struct {
	buf bytes.Buffer
	tw  *tar.Writer
}

func newV2() *v2 { s := &v2{}; s.tw = tar.NewWriter(&s.buf); return s }

func (s *v2) file(t *testing.T, name, body string) {
	t.Helper()
	if err := s.tw.WriteHeader(&tar.Header{Name: "v2/" + name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))}); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(s.tw, body); err != nil {
		t.Fatal(err)
	}
}

// blob adds a blob and its repository link, and returns its digest (hex).
func (s *v2) blob(t *testing.T, repo, body string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(body))
	d := hex.EncodeToString(sum[:])
	s.file(t, "blobs/sha256/"+d[:2]+"/"+d+"/data", body)
	s.file(t, "repositories/"+repo+"/_layers/sha256/"+d+"/link", "sha256:"+d)
	return d
}

func (s *v2) tar(t *testing.T) io.Reader {
	t.Helper()
	if err := s.tw.Close(); err != nil {
		t.Fatal(err)
	}
	return &s.buf
}

// archive writes an archive of one cache, docker-io, holding two blobs.
func archive(t *testing.T) ([]byte, []string) {
	t.Helper()
	src := newV2()
	d1 := src.blob(t, "library/busybox", strings.Repeat("layer one ", 1000))
	d2 := src.blob(t, "library/busybox", "config")
	src.file(t, "repositories/library/busybox/_uploads/0f3a/data", "half an upload")
	src.file(t, "repositories/library/busybox/_manifests/tags/1.37/current/link", "sha256:") // being written
	var out bytes.Buffer
	w, err := NewWriter(&out)
	if err != nil {
		t.Fatal(err)
	}
	skipped, err := w.AddCache(Cache{Key: "docker-io", Registry: "docker.io", Remote: "https://registry-1.docker.io"}, src.tar(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) != 1 || !strings.Contains(skipped[0].Path, "tags/1.37") {
		t.Errorf("skipped %v; want the half-written tag link", skipped)
	}
	idx, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	if c := idx.Caches[0]; c.Files != 4 || c.Blobs != 2 || c.Bytes != int64(len("config")+10000) {
		t.Errorf("index %+v; want 4 files, 2 blobs", c)
	}
	return out.Bytes(), []string{d1, d2}
}

func TestRoundTrip(t *testing.T) {
	b, digests := archive(t)
	dir := t.TempDir()
	idx, err := Extract(bytes.NewReader(b), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(idx.Caches) != 1 || idx.Caches[0].Registry != "docker.io" {
		t.Fatalf("index %+v", idx)
	}
	for _, d := range digests {
		p := filepath.Join(dir, "docker-io", "blobs", "sha256", d[:2], d, "data")
		body, err := os.ReadFile(p)
		sum := sha256.Sum256(body)
		if err != nil || hex.EncodeToString(sum[:]) != d {
			t.Errorf("blob %s: %v", d, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "docker-io", "repositories", "library", "busybox", "_uploads")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an upload in progress was archived: %v", err)
	}
}

// retar decompresses an archive, lets edit change it, and compresses it again.
func retar(t *testing.T, b []byte, edit func([]byte) []byte) []byte {
	t.Helper()
	zr, err := zstd.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw, _ := zstd.NewWriter(&out)
	if _, err := zw.Write(edit(plain)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestDamagedRefused: a flipped byte in a blob, an archive cut short (compressed or
// not), a missing index: each is refused, naming what is wrong.
func TestDamagedRefused(t *testing.T) {
	good, digests := archive(t)
	flip := retar(t, good, func(p []byte) []byte {
		i := bytes.Index(p, []byte("layer one"))
		p[i+3] ^= 0x01
		return p
	})
	cutTar := retar(t, good, func(p []byte) []byte { return p[:bytes.Index(p, []byte("layer one"))+500] })
	noIndex := retar(t, good, func(p []byte) []byte {
		i := bytes.Index(p, []byte(indexName))
		return append(p[:i:i], make([]byte, 1024)...) // the index's header gone, then tar's end
	})
	tests := []struct {
		name string
		b    []byte
		want string
	}{
		{"flipped byte", flip, "blob sha256:" + digests[0] + " of cache docker-io is corrupt"},
		{"cut short", good[:len(good)/2], "damaged"},
		{"tar cut short", cutTar, "blobs/sha256/" + digests[0][:2] + "/" + digests[0] + "/data of cache docker-io"},
		{"no index", noIndex, "no index"},
		{"not an archive", []byte("hello"), "damaged"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Extract(bytes.NewReader(tc.b), t.TempDir())
			var de *DamagedError
			if !errors.As(err, &de) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Extract = %v; want a damaged archive error with %q", err, tc.want)
			}
		})
	}
}

// TestCorruptCacheNotExported: a cache whose blob does not match its digest fails the
// export, naming the blob.
func TestCorruptCacheNotExported(t *testing.T) {
	src := newV2()
	d := strings.Repeat("ab", 32)
	src.file(t, "blobs/sha256/ab/"+d+"/data", "not what the digest says")
	w, err := NewWriter(io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.AddCache(Cache{Key: "docker-io"}, src.tar(t)); err == nil || !strings.Contains(err.Error(), "corrupt blob sha256:"+d) {
		t.Fatalf("AddCache = %v; want the corrupt blob named", err)
	}
}

// TestHostileNames: entries that would climb out of the staging directory, or that
// are not kdev's, are refused.
func TestHostileNames(t *testing.T) {
	for _, name := range []string{
		"kdev-cache/caches/docker-io/../../../etc/passwd",
		"kdev-cache/caches/docker-io/blobs/../../x",
		"kdev-cache/caches/../x/blobs/y",
		"kdev-cache/caches/Docker_IO/blobs/y",
		"kdev-cache/caches/docker-io/etc/passwd",
		"etc/passwd",
	} {
		if _, _, err := entryPath(name); err == nil {
			t.Errorf("entryPath(%q) accepted", name)
		}
	}
}

func TestReadRepos(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	old, recent := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for _, f := range []struct {
		name string
		at   time.Time
	}{
		{"repositories/library/busybox/_manifests/tags/1.37.0/current/link", recent},
		{"repositories/library/busybox/_manifests/tags/1.37.0/index/sha256/ab/link", recent},
		{"repositories/library/busybox/_manifests/tags/latest/current/link", old},
		{"repositories/library/busybox/_layers/sha256/cd/link", old},
		{"repositories/team/app/x/_layers/sha256/ef/link", old},
		{"repositories/team/app/x/_uploads/u1/data", recent},
	} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Typeflag: tar.TypeReg, Size: 1, ModTime: f.at}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	repos, err := readRepos(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(repos) != 2 || repos[0].Name != "library/busybox" || strings.Join(repos[0].Tags, ",") != "1.37.0,latest" ||
		!repos[0].LastUsed.Equal(recent) || repos[1].Name != "team/app/x" || len(repos[1].Tags) != 0 || !repos[1].LastUsed.Equal(old) {
		t.Fatalf("repos %+v", repos)
	}
}

func TestChoose(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	repos := []Repo{
		{Name: "old", LastUsed: now.Add(-10 * day), Manifests: []string{"m1"}, Layers: []string{"base", "a"}},
		{Name: "mid", LastUsed: now.Add(-3 * day), Manifests: []string{"m2"}, Layers: []string{"base", "b"}},
		{Name: "new", LastUsed: now.Add(-time.Hour), Manifests: []string{"m3"}, Layers: []string{"c"}},
	}
	sizes := map[string]int64{"m1": 1, "m2": 1, "m3": 1, "base": 100, "a": 50, "b": 20, "c": 10}
	for _, tc := range []struct {
		name string
		o    PruneOptions
		want string
	}{
		{"nothing asked", PruneOptions{}, ""},
		{"older than a week", PruneOptions{OlderThan: 7 * day}, "old"},
		{"all fit", PruneOptions{MaxSize: 183}, ""},
		// Without old: base, b, c and two manifests, 132; the shared base stays.
		{"least recently used first", PruneOptions{MaxSize: 182}, "old"},
		{"until it fits", PruneOptions{MaxSize: 131}, "old mid"},
		{"nothing fits", PruneOptions{MaxSize: 1}, "old mid new"},
		{"both", PruneOptions{OlderThan: 7 * day, MaxSize: 20}, "old mid"},
	} {
		if got := strings.Join(choose(repos, sizes, tc.o, now), " "); got != tc.want {
			t.Errorf("%s: removes %q, want %q", tc.name, got, tc.want)
		}
	}
}
