package env

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestLocalRegistryHelpAnchor: the KEP-1755 ConfigMap's help URL points at a heading
// that exists in the README (GitHub's anchor: lowercased, spaces to dashes).
func TestLocalRegistryHelpAnchor(t *testing.T) {
	_, anchor, ok := strings.Cut(localRegistryHelp, "#")
	if !ok || anchor == "" {
		t.Fatalf("help URL %q has no anchor", localRegistryHelp)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	punct := regexp.MustCompile(`[^a-z0-9 -]`)
	for _, line := range strings.Split(string(readme), "\n") {
		if h, ok := strings.CutPrefix(line, "## "); ok {
			if strings.ReplaceAll(punct.ReplaceAllString(strings.ToLower(h), ""), " ", "-") == anchor {
				return
			}
		}
	}
	t.Fatalf("README.md has no heading for #%s", anchor)
}
