package verify

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// MaxConnsPerHost bounds the connections a Verifier opens to one registry
// or look-aside host, whatever the number of images checked at once:
// requests queue for a kept-alive connection instead of opening more,
// which a server with a small listen backlog answers with a SYN retry
// (a second lost per overflow).
const MaxConnsPerHost = 4

// sharedClient is the network state every image a Verifier checks shares:
// one connection pool, and the answer of each registry's /v2/ ping, which
// go-containerregistry would otherwise ask again (with an https probe
// first, for a plain-http registry) before every manifest.
type sharedClient struct {
	base  *http.Transport
	mu    sync.Mutex
	pings map[string]*pingAnswer
}

// pingAnswer is one registry's reply to GET /v2/, or the error of asking;
// done is closed once it is known.
type pingAnswer struct {
	done   chan struct{}
	status int
	proto  string
	header http.Header
	body   []byte
	err    error
}

// maxPingBody caps what is kept of a ping's body (it is normally "{}").
const maxPingBody = 64 << 10

func newSharedClient(tlsVerify bool, timeout time.Duration) *sharedClient {
	base := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: timeout}).DialContext,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		IdleConnTimeout:       30 * time.Second,
		MaxConnsPerHost:       MaxConnsPerHost,
		MaxIdleConnsPerHost:   MaxConnsPerHost,
		TLSClientConfig:       &tls.Config{InsecureSkipVerify: !tlsVerify, MinVersion: tls.VersionTLS12}, //nolint:gosec // only with --tls-verify=false
	}
	return &sharedClient{base: base, pings: map[string]*pingAnswer{}}
}

// forImage is the transport of one image's checks: its own request count
// and registry-API flag over the shared connections and pings.
func (c *sharedClient) forImage() *countingTransport {
	return &countingTransport{base: c, count: new(atomic.Int64), extension: new(atomic.Value)}
}

// RoundTrip answers a registry ping from memory after the first, and
// passes everything else to the connection pool.
func (c *sharedClient) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method != http.MethodGet || r.URL.Path != "/v2/" || r.Header.Get("Authorization") != "" {
		return c.base.RoundTrip(r)
	}
	key := r.URL.Scheme + "://" + r.URL.Host
	c.mu.Lock()
	a, asked := c.pings[key]
	if !asked {
		a = &pingAnswer{done: make(chan struct{})}
		c.pings[key] = a
	}
	c.mu.Unlock()
	if !asked {
		c.ask(r, key, a)
	}
	select {
	case <-a.done:
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
	if a.err != nil {
		if asked {
			return nil, &rememberedError{a.err}
		}
		return nil, a.err
	}
	var body io.ReadCloser = io.NopCloser(bytes.NewReader(a.body))
	if asked {
		body = rememberedBody{body}
	}
	return &http.Response{
		Status: http.StatusText(a.status), StatusCode: a.status, Proto: a.proto, ProtoMajor: 1, ProtoMinor: 1,
		Header: a.header.Clone(), Body: body, ContentLength: int64(len(a.body)), Request: r,
	}, nil
}

// rememberedBody and rememberedError mark a ping answered from memory,
// so that an image's request count holds only what it sent.
type rememberedBody struct{ io.ReadCloser }

type rememberedError struct{ err error }

func (e *rememberedError) Error() string { return e.err.Error() }
func (e *rememberedError) Unwrap() error { return e.err }

// fromMemory reports whether a round trip was answered without a request.
func fromMemory(resp *http.Response, err error) bool {
	var re *rememberedError
	if errors.As(err, &re) {
		return true
	}
	if resp == nil {
		return false
	}
	_, ok := resp.Body.(rememberedBody)
	return ok
}

// ask sends the ping and records the answer. An error caused by the
// asker's own context (its image timed out or was cancelled) is not an
// answer of the registry: it is forgotten, so that the next image asks
// again. Any other error (refused, not TLS) is, and is kept.
func (c *sharedClient) ask(r *http.Request, key string, a *pingAnswer) {
	defer close(a.done)
	resp, err := c.base.RoundTrip(r)
	if err == nil {
		defer resp.Body.Close()
		a.body, err = io.ReadAll(io.LimitReader(resp.Body, maxPingBody))
		a.status, a.proto, a.header = resp.StatusCode, resp.Proto, resp.Header
	}
	a.err = err
	if err != nil && r.Context().Err() != nil {
		c.mu.Lock()
		delete(c.pings, key)
		c.mu.Unlock()
	}
}
