package shadow

import (
	"context"
	"sync"
	"time"
)

// Reloading is the live configuration over a long soak: the node's
// policy may change while shadow runs (a promotion, a trial), and an
// image pulled after the change is judged under the policy the runtime
// then used. Stamp says what the configuration is now (a hash of its
// files); when it differs from the last one, Build makes a new
// Evaluator. Stamp is asked at most once per Every.
type Reloading struct {
	Stamp func() string
	Build func() (Evaluator, error)
	Every time.Duration
	Now   func() time.Time

	mu      sync.Mutex
	cur     Evaluator
	err     error
	stamp   string
	checked time.Time
}

func (r *Reloading) current() (Evaluator, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	t := now()
	if (r.cur != nil || r.err != nil) && t.Sub(r.checked) < r.Every {
		return r.cur, r.err
	}
	r.checked = t
	st := r.Stamp()
	if (r.cur != nil || r.err != nil) && st == r.stamp {
		return r.cur, r.err
	}
	r.stamp = st
	r.cur, r.err = r.Build()
	return r.cur, r.err
}

// Evaluate implements Evaluator. A live configuration the runtime cannot
// load fails every pull: the verdict is rejected, with the reason.
func (r *Reloading) Evaluate(ctx context.Context, ref string) (Verdict, string) {
	e, err := r.current()
	if err != nil {
		return Rejected, err.Error()
	}
	return e.Evaluate(ctx, ref)
}
