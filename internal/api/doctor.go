package api

// KindDoctorReport is the kind of `kdev doctor -o json`.
const KindDoctorReport = "DoctorReport"

// DoctorReport is every item doctor checked.
type DoctorReport struct {
	TypeMeta
	// Findings are the items in the order doctor checked them.
	Findings []Finding `json:"findings"`
}

// Finding is one item doctor checked.
type Finding struct {
	// Item says what must hold, such as "mirror kdev-mirror-docker-io running".
	Item string `json:"item"`
	// OK is whether it holds.
	OK bool `json:"ok"`
	// Detail is what doctor saw.
	Detail string `json:"detail,omitempty"`
	// Fix says what to do when it does not hold.
	Fix string `json:"fix,omitempty"`
	// Registry is the mirrored registry the item is about, if one.
	Registry string `json:"registry,omitempty"`
	// Node is the node the item is about, if one.
	Node string `json:"node,omitempty"`
}
