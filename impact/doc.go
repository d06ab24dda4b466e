// Package impact tells what a configuration means for the images a node
// depends on — its pause image, the images in containers-storage and the
// images of its containers — and what a candidate configuration changes
// for each: an image that stops being pullable locks the node out, one
// that becomes pullable widens trust.
//
// Many verdicts need no network: the policy alone decides an image under
// reject, insecureAcceptAnything, signedBaseLayer or a signedBy whose key
// file is missing or holds no key the node's mechanism loads. Only the
// rest fetch signatures, through verify. An image that could not be
// checked (a registry out of reach, --offline) is reported as not checked
// with the reason, never as rejected.
package impact
