package action

import (
	"context"
	"errors"
	"strings"
	"sync"

	"plumebot/internal/plume"
)

// describe reads Plume fresh for the confirmation's words and the follow-through's baseline.
func (e *Engine) describe(ctx context.Context, r Reader, kind Kind, t Target) (summary, effect string, base baseline, err error) {
	var (
		nodes  []plume.Node
		loc    *plume.Location
		nodesE error
		locE   error
		wg     sync.WaitGroup
	)
	if kind != Optimize {
		wg.Go(func() { nodes, nodesE = r.Nodes(ctx, t.CustomerID, t.LocationID) })
	}
	if kind == RebootLocation || kind == Optimize {
		wg.Go(func() { loc, locE = r.Location(ctx, t.CustomerID, t.LocationID) })
	}
	wg.Wait()
	if err := errors.Join(nodesE, locE); err != nil {
		return "", "", baseline{}, firstErr(nodesE, locE)
	}
	switch kind {
	case RebootPod:
		i := podIndex(nodes, t.NodeID)
		if i < 0 {
			return "", "", baseline{}, &Refusal{Reason: UnknownPod, Now: e.clock.Now()}
		}
		base.Pods = []podBase{podBaseOf(nodes[i])}
		summary, effect = podWords(nodes, i, e.clock.Now())
	case RebootLocation:
		for _, n := range nodes {
			base.Pods = append(base.Pods, podBaseOf(n))
		}
		summary, effect = locationWords(loc, nodes, e.clock.Now())
	case SpeedTest:
		gw := gateway(nodes)
		if gw >= 0 && nodes[gw].SpeedTest != nil {
			base.Speed = nodes[gw].SpeedTest.StartedAt
		}
		summary, effect = speedTestWords(nodes, gw)
	case Optimize:
		summary, effect = optimizeWords(loc, e.clock.Now())
	}
	return summary, effect, base, nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func podIndex(nodes []plume.Node, id string) int {
	for i, n := range nodes {
		if strings.EqualFold(n.ID, id) {
			return i
		}
	}
	return -1
}

func gateway(nodes []plume.Node) int {
	for i, n := range nodes {
		if n.IsGateway() {
			return i
		}
	}
	return -1
}

func podBaseOf(n plume.Node) podBase {
	return podBase{ID: n.ID, Name: n.Name(), Connected: n.Connected(), Changed: n.ConnectionStateChangeAt, Boot: n.BootAt}
}
