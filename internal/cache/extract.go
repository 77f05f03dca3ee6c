package cache

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// DamagedError is an archive that is not whole: cut short, corrupted, or not kdev's.
type DamagedError struct{ Msg string }

func (e *DamagedError) Error() string {
	return "the cache archive is damaged: " + e.Msg + "; nothing was imported: export it again"
}

func damaged(format string, a ...any) error { return &DamagedError{Msg: fmt.Sprintf(format, a...)} }

// Extract unpacks an archive into dir (dir/<key>/<path under v2>), verifying every
// blob against its digest, every link's form, and the index against what was read. It
// returns the index only when the archive is whole; on any error dir holds a partial
// copy the caller removes. Nothing outside dir is written.
func Extract(r io.Reader, dir string) (*Index, error) {
	read := map[string]*Cache{}
	var images *Images
	idx, err := scan(r, func(h *tar.Header, body io.Reader) error {
		if h.Name == imagesName {
			sum, n, err := extractImages(body, dir)
			images = &Images{Bytes: n, SHA256: sum}
			return err
		}
		if h.Typeflag != tar.TypeReg {
			return damaged("entry %s is not a regular file", h.Name)
		}
		key, rel, err := entryPath(h.Name)
		if err != nil {
			return err
		}
		c := read[key]
		if c == nil {
			c = &Cache{Key: key}
			read[key] = c
		}
		return extractFile(body, h.Size, filepath.Join(dir, key, filepath.FromSlash(rel)), key, rel, c)
	})
	if err != nil {
		return nil, err
	}
	if err := checkImages(idx.Images, images); err != nil {
		return nil, err
	}
	return idx, checkIndex(idx, read)
}

// ReadIndex reads an archive's index without writing anything: it reads the archive
// through (the index is its last entry).
func ReadIndex(r io.Reader) (*Index, error) {
	return scan(r, func(*tar.Header, io.Reader) error { return nil })
}

// scan reads an archive entry by entry, handing each but the index to each, and
// returns the index, which must be the last entry.
func scan(r io.Reader, each func(h *tar.Header, body io.Reader) error) (*Index, error) {
	zr, err := zstd.NewReader(r)
	if err != nil {
		return nil, damaged("%v", err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	var idx *Index
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, damaged("%v (cut short?)", err)
		}
		if idx != nil {
			return nil, damaged("%s is followed by more entries", indexName)
		}
		if h.Name == indexName {
			if idx, err = readIndex(tr); err != nil {
				return nil, err
			}
			continue
		}
		if err := each(h, tr); err != nil {
			return nil, err
		}
	}
	if idx == nil {
		return nil, damaged("it has no index (%s, its last entry): it was cut short", indexName)
	}
	return idx, nil
}

func readIndex(r io.Reader) (*Index, error) {
	var idx Index
	if err := json.NewDecoder(io.LimitReader(r, 1<<20)).Decode(&idx); err != nil {
		return nil, damaged("its index does not read: %v", err)
	}
	if idx.Kind != Kind || idx.APIVersion != APIVersion {
		return nil, damaged("its index is %s %s; kdev reads %s %s", idx.APIVersion, idx.Kind, APIVersion, Kind)
	}
	return &idx, nil
}

// entryPath splits an entry's name into its cache's key and its path under v2/, and
// refuses names that are not what kdev writes.
func entryPath(name string) (key, rel string, err error) {
	rest, ok := strings.CutPrefix(name, cachesDir)
	if !ok {
		return "", "", damaged("entry %s is not kdev's", name)
	}
	key, rel, _ = strings.Cut(rest, "/")
	if !keyRE.MatchString(key) || rel == "" || path.Clean(rel) != rel || strings.HasPrefix(rel, "../") || path.IsAbs(rel) {
		return "", "", damaged("entry %s is not kdev's", name)
	}
	if !strings.HasPrefix(rel, "blobs/") && !strings.HasPrefix(rel, "repositories/") {
		return "", "", damaged("entry %s is not kdev's", name)
	}
	return key, rel, nil
}

// extractFile writes one entry, verifying a blob's digest and a link's form.
func extractFile(r io.Reader, size int64, dst, key, rel string, c *Cache) error {
	m := blobRE.FindStringSubmatch(rel)
	if m == nil && strings.HasPrefix(rel, "blobs/") {
		return damaged("entry %s of cache %s is not a blob", rel, key)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return damaged("cache %s holds %s twice", key, rel)
		}
		return err
	}
	defer f.Close()
	hash := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, hash), r)
	if err != nil {
		return damaged("%s of cache %s: %v (cut short?)", rel, key, err)
	}
	if n != size {
		return damaged("%s of cache %s: %d bytes, not %d", rel, key, n, size)
	}
	if err := f.Close(); err != nil {
		return err
	}
	c.Files++
	if m != nil {
		if got := hex.EncodeToString(hash.Sum(nil)); got != m[1] {
			return damaged("blob sha256:%s of cache %s is corrupt (its content hashes to sha256:%s)", m[1], key, got)
		}
		c.Blobs++
		c.Bytes += n
	}
	if strings.HasSuffix(rel, "/link") {
		b, err := os.ReadFile(dst)
		if err != nil {
			return err
		}
		if !linkRE.Match(b) {
			return damaged("%s of cache %s is not a digest", rel, key)
		}
	}
	return nil
}

// checkIndex compares what the index announces with what was read.
func checkIndex(idx *Index, read map[string]*Cache) error {
	seen := map[string]bool{}
	for _, c := range idx.Caches {
		if !keyRE.MatchString(c.Key) || seen[c.Key] {
			return damaged("its index names cache %q twice or wrongly", c.Key)
		}
		seen[c.Key] = true
		got := read[c.Key]
		if got == nil {
			got = &Cache{}
		}
		if got.Files != c.Files || got.Blobs != c.Blobs || got.Bytes != c.Bytes {
			return damaged("cache %s holds %d files, %d blobs, %d bytes; its index says %d, %d, %d", c.Key, got.Files, got.Blobs, got.Bytes, c.Files, c.Blobs, c.Bytes)
		}
	}
	for key := range read {
		if !seen[key] {
			return damaged("cache %s is not in its index", key)
		}
	}
	return nil
}

// SameContent reports whether two archives hold the same caches (the same files, blobs
// and bytes for each key) and the same images, whenever they were made.
func SameContent(a, b *Index) bool {
	if len(a.Caches) != len(b.Caches) {
		return false
	}
	by := map[string]Cache{}
	for _, c := range a.Caches {
		by[c.Key] = c
	}
	for _, c := range b.Caches {
		o, ok := by[c.Key]
		if !ok || o.Files != c.Files || o.Blobs != c.Blobs || o.Bytes != c.Bytes {
			return false
		}
	}
	switch {
	case a.Images == nil || b.Images == nil:
		return a.Images == nil && b.Images == nil
	default:
		return a.Images.SHA256 == b.Images.SHA256
	}
}

// checkImages compares the images the index announces with those read.
func checkImages(want, got *Images) error {
	switch {
	case want == nil && got == nil:
		return nil
	case want == nil:
		return damaged("it holds %s, which its index does not name", imagesName)
	case got == nil:
		return damaged("its index names images (%s) that it does not hold", strings.Join(want.Refs, ", "))
	case got.Bytes != want.Bytes || got.SHA256 != want.SHA256:
		return damaged("its images (%s) are corrupt: %d bytes with digest sha256:%s, not %d bytes with sha256:%s",
			strings.Join(want.Refs, ", "), got.Bytes, got.SHA256, want.Bytes, want.SHA256)
	}
	return nil
}
