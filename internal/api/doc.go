// Package api is the versioned shape of what kdev prints for scripts: the documents of
// `-o json`. They are plain types, apart from kdev's internal structs, so that renaming
// a field inside kdev cannot change what users read; internal/app converts into them.
//
// Every top-level document begins with apiVersion and kind. The compatibility rule of
// a version: within kdev.dev/v1alpha1 fields are only added, never renamed, retyped or
// removed, and a field's meaning stays; a rename or a removal needs a new apiVersion.
// Scripts should ignore fields they do not know. Times are RFC 3339 strings.
//
// Each document has its own file, with its kind constant and the types only it uses;
// types shared by documents name what they describe (a ...Status is something as
// observed). A new document, such as kdev up --dry-run's Plan, is one more file.
package api

// APIVersion is the version of every document in this package.
const APIVersion = "kdev.dev/v1alpha1"

// TypeMeta identifies a document. Embedded first, it makes apiVersion and kind the
// first fields of the JSON.
type TypeMeta struct {
	// APIVersion is always APIVersion within this package.
	APIVersion string `json:"apiVersion"`
	// Kind names the document: Status, CheckReport, DoctorReport, UpResult, DownResult, Plan.
	Kind string `json:"kind"`
}

// Meta is the TypeMeta of a document of the given kind.
func Meta(kind string) TypeMeta { return TypeMeta{APIVersion: APIVersion, Kind: kind} }
