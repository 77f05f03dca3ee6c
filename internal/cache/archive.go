// Package cache moves mirror caches between machines: an archive (tar, zstd) holds
// each cache's content-addressed storage as distribution lays it out, with an index
// that ends it. Every blob is verified against its digest on the way out and on the
// way in, and an archive is checked whole before anything is written into Docker.
package cache

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
)

// Archive layout: every name starts with root; the index is the last entry, so an
// archive cut short has none.
const (
	root      = "kdev-cache/"
	cachesDir = root + "caches/"
	indexName = root + "index.json"
	// Kind names the index document.
	Kind       = "CacheArchive"
	APIVersion = "kdev.dev/v1alpha1"
)

// Index describes an archive. It is written last.
type Index struct {
	APIVersion string    `json:"apiVersion"`
	Kind       string    `json:"kind"`
	Created    time.Time `json:"created"`
	Caches     []Cache   `json:"caches"`
	// Images are the images kdev runs, when the archive carries them.
	Images *Images `json:"images,omitempty"`
}

// Cache is one mirror's cache in an archive: its identity, as kdev keys it, and what
// it holds.
type Cache struct {
	Key      string `json:"key"`
	Registry string `json:"registry"`
	Remote   string `json:"remote"`
	// Files counts every file; Blobs the blob data files among them; Bytes their size.
	Files int   `json:"files"`
	Blobs int   `json:"blobs"`
	Bytes int64 `json:"bytes"`
}

// blobRE matches a blob's data file in distribution's storage, relative to v2/.
var blobRE = regexp.MustCompile(`^blobs/sha256/[0-9a-f]{2}/([0-9a-f]{64})/data$`)

// linkRE is the content of a link file: a digest.
var linkRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// keyRE is what kdev's cache keys look like (registry slug, optional hash).
var keyRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,120}[a-z0-9])?$`)

// Writer writes an archive.
type Writer struct {
	zw  *zstd.Encoder
	tw  *tar.Writer
	idx Index
}

// NewWriter starts an archive on w. Close ends it with the index.
func NewWriter(w io.Writer) (*Writer, error) {
	zw, err := zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedFastest))
	if err != nil {
		return nil, err
	}
	return &Writer{zw: zw, tw: tar.NewWriter(zw), idx: Index{APIVersion: APIVersion, Kind: Kind, Created: time.Now().UTC()}}, nil
}

// Skipped is a file AddCache left out: being written while it was read.
type Skipped struct{ Path, Why string }

// AddCache copies one cache into the archive from src, a tar of distribution's v2
// directory as Docker hands it out (entries named v2/...). Uploads in progress are
// left out; a link file caught half-written is skipped and reported; a blob whose
// content does not match its digest fails the export, naming it.
func (w *Writer) AddCache(c Cache, src io.Reader) ([]Skipped, error) {
	if !keyRE.MatchString(c.Key) {
		return nil, fmt.Errorf("cache key %q is not one kdev makes", c.Key)
	}
	c.Files, c.Blobs, c.Bytes = 0, 0, 0
	var skipped []Skipped
	tr := tar.NewReader(src)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return skipped, fmt.Errorf("read cache %s: %w", c.Key, err)
		}
		rel, ok := relative(h.Name)
		if !ok || h.Typeflag != tar.TypeReg || strings.Contains("/"+rel+"/", "/_uploads/") {
			continue
		}
		var body io.Reader = tr
		if strings.HasSuffix(rel, "/link") {
			b, err := io.ReadAll(io.LimitReader(tr, 256))
			if err != nil {
				return skipped, fmt.Errorf("read cache %s: %s: %w", c.Key, rel, err)
			}
			if !linkRE.Match(b) {
				skipped = append(skipped, Skipped{rel, "a link being written"})
				continue
			}
			body = strings.NewReader(string(b))
		}
		name := cachesDir + c.Key + "/" + rel
		if err := w.tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: h.Size, ModTime: h.ModTime}); err != nil {
			return skipped, err
		}
		m := blobRE.FindStringSubmatch(rel)
		hash := sha256.New()
		if m != nil {
			body = io.TeeReader(body, hash)
		}
		if _, err := io.Copy(w.tw, body); err != nil {
			return skipped, fmt.Errorf("archive cache %s: %s: %w", c.Key, rel, err)
		}
		c.Files++
		if m != nil {
			if got := hex.EncodeToString(hash.Sum(nil)); got != m[1] {
				return skipped, fmt.Errorf("cache %s holds a corrupt blob sha256:%s (its content hashes to sha256:%s): remove the mirror's cache with `kdev down --purge` and pull again", c.Key, m[1], got)
			}
			c.Blobs++
			c.Bytes += h.Size
		}
	}
	w.idx.Caches = append(w.idx.Caches, c)
	return skipped, nil
}

// relative turns an entry of Docker's tar of .../v2 into its path under v2/, refusing
// anything that would climb out of it.
func relative(name string) (string, bool) {
	name = strings.TrimPrefix(name, "./")
	first, rest, ok := strings.Cut(name, "/")
	if !ok || first != "v2" || rest == "" {
		return "", false
	}
	clean := path.Clean(rest)
	if clean != rest || strings.HasPrefix(clean, "../") || path.IsAbs(clean) {
		return "", false
	}
	return clean, true
}

// Close writes the index and ends the archive; it returns the index.
func (w *Writer) Close() (*Index, error) {
	b, err := json.MarshalIndent(w.idx, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := w.tw.WriteHeader(&tar.Header{Name: indexName, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(b)), ModTime: w.idx.Created}); err != nil {
		return nil, err
	}
	if _, err := w.tw.Write(b); err != nil {
		return nil, err
	}
	if err := w.tw.Close(); err != nil {
		return nil, err
	}
	if err := w.zw.Close(); err != nil {
		return nil, err
	}
	return &w.idx, nil
}
