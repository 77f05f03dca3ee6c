package api

// Proxy is `effectiveProxy` in `kdev config view -o json`: the proxy the mirrors go
// through, found outside kdev.yaml. That document is kdev.yaml itself (apiVersion
// kdev.dev/v1alpha1, kind Environment), defaults filled in, plus this field.
type Proxy struct {
	// HTTP is the HTTP proxy URL, a password in it masked.
	HTTP string `json:"httpProxy,omitempty"`
	// HTTPS is the HTTPS proxy URL, a password in it masked.
	HTTPS string `json:"httpsProxy,omitempty"`
	// No is the list of hosts reached directly.
	No string `json:"noProxy,omitempty"`
	// Source says where it was found: "environment" or a Docker client config file.
	Source string `json:"source,omitempty"`
}
