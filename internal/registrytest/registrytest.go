// Package registrytest helps tests talk to real registries: it pushes generated images
// and pulls them back the way a container runtime does, over the registry HTTP API.
package registrytest

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const (
	mediaManifest = "application/vnd.oci.image.manifest.v1+json"
	mediaConfig   = "application/vnd.oci.image.config.v1+json"
	mediaLayer    = "application/vnd.oci.image.layer.v1.tar"
)

// Image is a generated image: random layers, so that no two tests share a blob.
type Image struct {
	Config   []byte
	Layers   [][]byte
	Manifest []byte
	Digest   string
}

type descriptor struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int    `json:"size"`
}

type manifest struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	Config        descriptor   `json:"config"`
	Layers        []descriptor `json:"layers"`
}

// NewImage makes an image of n layers of size bytes of random data each.
func NewImage(n, size int) (*Image, error) {
	img := &Image{Config: []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`)}
	m := manifest{SchemaVersion: 2, MediaType: mediaManifest, Config: desc(mediaConfig, img.Config)}
	for range n {
		l := make([]byte, size)
		if _, err := rand.Read(l); err != nil {
			return nil, err
		}
		img.Layers = append(img.Layers, l)
		m.Layers = append(m.Layers, desc(mediaLayer, l))
	}
	var err error
	if img.Manifest, err = json.Marshal(m); err != nil {
		return nil, err
	}
	img.Digest = Digest(img.Manifest)
	return img, nil
}

func desc(mt string, b []byte) descriptor {
	return descriptor{MediaType: mt, Digest: Digest(b), Size: len(b)}
}

// Digest is the OCI digest of b.
func Digest(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

var httpClient = &http.Client{Timeout: 30 * time.Second}

// Push uploads img to the registry at base (http://host:port) as repo:tag.
func Push(base, repo, tag string, img *Image) error {
	return PushWith(httpClient, base, repo, tag, img)
}

// PushWith is Push with a client of the caller's: one that trusts a test's private CA.
func PushWith(hc *http.Client, base, repo, tag string, img *Image) error {
	for _, b := range append([][]byte{img.Config}, img.Layers...) {
		if err := pushBlob(hc, base, repo, b); err != nil {
			return err
		}
	}
	req, err := http.NewRequest(http.MethodPut, base+"/v2/"+repo+"/manifests/"+tag, bytes.NewReader(img.Manifest))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", mediaManifest)
	return expect(hc.Do(req))(http.StatusCreated)
}

func pushBlob(hc *http.Client, base, repo string, b []byte) error {
	resp, err := hc.Post(base+"/v2/"+repo+"/blobs/uploads/", "", nil)
	if err := expect(resp, err)(http.StatusAccepted); err != nil {
		return fmt.Errorf("start upload: %w", err)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		return err
	}
	if !loc.IsAbs() {
		b, _ := url.Parse(base)
		loc = b.ResolveReference(loc)
	}
	q := loc.Query()
	q.Set("digest", Digest(b))
	loc.RawQuery = q.Encode()
	req, err := http.NewRequest(http.MethodPut, loc.String(), bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	return expect(hc.Do(req))(http.StatusCreated)
}

// Pull fetches repo:tag's manifest and every blob it names from base, checks each
// digest, and returns the manifest's digest.
func Pull(base, repo, tag string) (string, error) {
	req, err := http.NewRequest(http.MethodGet, base+"/v2/"+repo+"/manifests/"+tag, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", mediaManifest)
	body, err := read(httpClient.Do(req))
	if err != nil {
		return "", fmt.Errorf("manifest %s:%s: %w", repo, tag, err)
	}
	var m manifest
	if err := json.Unmarshal(body, &m); err != nil {
		return "", fmt.Errorf("manifest %s:%s: %w", repo, tag, err)
	}
	for _, d := range append([]descriptor{m.Config}, m.Layers...) {
		b, err := read(httpClient.Get(base + "/v2/" + repo + "/blobs/" + d.Digest))
		if err != nil {
			return "", fmt.Errorf("blob %s: %w", d.Digest, err)
		}
		if Digest(b) != d.Digest {
			return "", fmt.Errorf("blob %s: got content with digest %s", d.Digest, Digest(b))
		}
	}
	return Digest(body), nil
}

func read(resp *http.Response, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(b)))
	}
	return b, nil
}

func expect(resp *http.Response, err error) func(code int) error {
	return func(code int) error {
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != code {
			b, _ := io.ReadAll(resp.Body)
			return fmt.Errorf("%s %s: %s: %s", resp.Request.Method, resp.Request.URL.Path, resp.Status, strings.TrimSpace(string(b)))
		}
		return nil
	}
}
