module github.com/kios/imgtrust

go 1.26.8

require (
	github.com/aymanbagabas/go-udiff v0.4.1
	github.com/distribution/reference v0.6.0
	github.com/opencontainers/go-digest v1.0.0
	github.com/tailscale/hujson v0.0.0-20260727124030-b80ff77dac4f
)
