package dockerfake

import (
	"regexp"
	"slices"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// checkFilters refuses a filter the engine does not know for this list, as it does: a
// typo in a filter must fail a test, not match everything.
func checkFilters(f client.Filters, known ...string) error {
	for term := range f {
		if !slices.Contains(known, term) {
			return daemonErr(cerrdefs.ErrInvalidArgument, "invalid filter '%s'", term)
		}
	}
	return nil
}

// matchLabels reports whether labels has every "key" and "key=value" of the label filter.
func matchLabels(f client.Filters, labels map[string]string) bool {
	for want := range f["label"] {
		k, v, hasValue := strings.Cut(want, "=")
		got, ok := labels[k]
		if !ok || (hasValue && got != v) {
			return false
		}
	}
	return true
}

// matchName reports whether name matches one of the name filter's regular expressions,
// which is how the engine filters names (so "kt" matches "kt-2").
func matchName(f client.Filters, names ...string) bool {
	if len(f["name"]) == 0 {
		return true
	}
	for pattern := range f["name"] {
		re, err := regexp.Compile(pattern)
		for _, n := range names {
			if (err == nil && re.MatchString(n)) || (err != nil && strings.Contains(n, pattern)) {
				return true
			}
		}
	}
	return false
}

// matchPrefix reports whether value starts with one of term's values.
func matchPrefix(f client.Filters, term, value string) bool {
	if len(f[term]) == 0 {
		return true
	}
	for p := range f[term] {
		if strings.HasPrefix(value, p) {
			return true
		}
	}
	return false
}

// matchExact reports whether one of values is among term's values.
func matchExact(f client.Filters, term string, values ...string) bool {
	if len(f[term]) == 0 {
		return true
	}
	for _, v := range values {
		if f[term][v] {
			return true
		}
	}
	return false
}

// boolFilter reads a true/false filter such as dangling; set is false when it is absent.
func boolFilter(f client.Filters, term string) (value, set bool, err error) {
	for v := range f[term] {
		switch strings.ToLower(v) {
		case "true", "1":
			value, set = true, true
		case "false", "0":
			set = true
		default:
			return false, false, daemonErr(cerrdefs.ErrInvalidArgument, "invalid filter '%s=%s'", term, v)
		}
	}
	return value, set, nil
}
