package shadow

import (
	"context"
	"errors"
	"testing"
	"time"
)

type constEval struct {
	v      Verdict
	reason string
}

func (c constEval) Evaluate(context.Context, string) (Verdict, string) { return c.v, c.reason }

func TestReloading(t *testing.T) {
	stamp, builds := "a", 0
	now := time.Unix(0, 0)
	configs := map[string]Evaluator{"a": constEval{Accepted, "policy a"}, "b": constEval{Rejected, "policy b"}}
	r := &Reloading{
		Stamp: func() string { return stamp },
		Build: func() (Evaluator, error) {
			builds++
			if e, ok := configs[stamp]; ok {
				return e, nil
			}
			return nil, errors.New("policy.json is invalid")
		},
		Every: time.Second, Now: func() time.Time { return now },
	}
	steps := []struct {
		advance time.Duration
		stamp   string
		want    Verdict
		reason  string
		builds  int
	}{
		{0, "a", Accepted, "policy a", 1},
		{0, "b", Accepted, "policy a", 1},           // not looked at again within Every
		{time.Second, "b", Rejected, "policy b", 2}, // changed: rebuilt
		{time.Second, "b", Rejected, "policy b", 2}, // same stamp: not rebuilt
		{time.Second, "broken", Rejected, "policy.json is invalid", 3},
		{time.Second, "broken", Rejected, "policy.json is invalid", 3},
		{time.Second, "a", Accepted, "policy a", 4},
	}
	for i, st := range steps {
		now = now.Add(st.advance)
		stamp = st.stamp
		v, reason := r.Evaluate(context.Background(), "r/a:1")
		if v != st.want || reason != st.reason || builds != st.builds {
			t.Errorf("step %d: %s %q after %d builds; want %s %q after %d", i, v, reason, builds, st.want, st.reason, st.builds)
		}
	}
}
