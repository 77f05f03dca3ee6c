//go:build e2e

package e2e

import (
	"testing"
	"time"
)

// The suite's own copy of the -o json schema (internal/api), limited to the fields it
// reads. It is written out here on purpose, not imported: a field renamed in kdev then
// fails the suite as it would fail a user's script.

const apiVersion = "kdev.dev/v1alpha1"

// Verdicts of a mirror's check, as check prints them.
const (
	verdictPass     = "pass"
	verdictBypassed = "bypassed"
)

// typeMeta begins every document.
type typeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
}

// upResult is `kdev up -o json`, kind UpResult.
type upResult struct {
	typeMeta
	Changed  bool          `json:"changed"`
	Check    []checkResult `json:"check"`
	ProvenAt *time.Time    `json:"provenAt"`
	Cluster  struct {
		Wiring []nodeWiring `json:"wiring"`
	} `json:"cluster"`
}

// nodeWiring is what up did to one node's containerd configuration.
type nodeWiring struct {
	Node    string   `json:"node"`
	Written []string `json:"written"`
}

// checkReport is `kdev check -o json`, kind CheckReport.
type checkReport struct {
	typeMeta
	Results []checkResult `json:"results"`
}

// checkResult is one mirror's proof.
type checkResult struct {
	Registry string `json:"registry"`
	Verdict  string `json:"verdict"`
	Reason   string `json:"reason"`
	Cause    string `json:"cause"`
	Pulls    []pull `json:"pulls"`
	Hits     int64  `json:"hits"`
}

// pull is one canary pull and what the mirror counted during it.
type pull struct {
	Node  string `json:"node"`
	Delta struct {
		Hits   split `json:"hits"`
		Misses split `json:"misses"`
	} `json:"delta"`
}

// split counts blobs and manifests apart.
type split struct {
	Blob     int64 `json:"blob"`
	Manifest int64 `json:"manifest"`
}

// doctorReport is `kdev doctor -o json`, kind DoctorReport.
type doctorReport struct {
	typeMeta
	Findings []doctorFinding `json:"findings"`
}

// doctorFinding is one item doctor checked.
type doctorFinding struct {
	Item   string `json:"item"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
	Node   string `json:"node"`
}

// decodeDoc decodes a document of the given kind into v, which embeds typeMeta, and
// fails t when it is not one.
func decodeDoc(t *testing.T, out, kind string, v interface{ meta() typeMeta }) {
	t.Helper()
	decodeJSON(t, out, v)
	if m := v.meta(); m.APIVersion != apiVersion || m.Kind != kind {
		t.Fatalf("want a %s %s document, got apiVersion %q kind %q:\n%s", apiVersion, kind, m.APIVersion, m.Kind, out)
	}
}

func (m typeMeta) meta() typeMeta { return m }
