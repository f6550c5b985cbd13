package ingest

import (
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"boxcar/internal/configstore"
)

// Status returns the handler of GET /boxcar/v1/channels/{id}/ingest_status:
// the channel's live.Status as JSON, with what ingest holds for it under
// extra.ingest; 404 for unknown channels. The server wraps it with the
// control plane's read-only authentication.
func (h *Handler) Status() http.Handler {
	return http.HandlerFunc(h.serveStatus)
}

// inputHold is what ingest holds for one input of a channel.
type inputHold struct {
	Input          int               `json:"input"`
	HeldUploads    int               `json:"heldUploads"`
	HeldBytes      int64             `json:"heldBytes"`
	Inits          int               `json:"inits"`
	PendingByRend  map[string]int    `json:"pendingSegments,omitempty"`
	NextSeqByRend  map[string]uint64 `json:"nextMediaSequence,omitempty"`
	Multivariant   bool              `json:"multivariant"`
	LastRequestAge float64           `json:"lastRequestAgeSeconds"`
}

func (h *Handler) serveStatus(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if id == "" {
		// Mounted without a pattern: take the element before
		// "/ingest_status".
		p := strings.TrimSuffix(r.URL.Path, "/ingest_status")
		id = p[strings.LastIndexByte(p, '/')+1:]
	}
	writeErr := func(code int, msg string) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		b, _ := json.Marshal(map[string]string{"message": msg})
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(code)
		w.Write(b)
	}
	if !validID(id) {
		writeErr(http.StatusNotFound, "channel not found")
		return
	}
	if _, err := h.channels.Channel(r.Context(), id); err != nil {
		if errors.Is(err, configstore.ErrNotFound) {
			writeErr(http.StatusNotFound, "channel "+id+" not found")
			return
		}
		h.log.Error("ingest status: channel lookup", "channel", id, "err", err)
		writeErr(http.StatusInternalServerError, "channel lookup failed")
		return
	}
	now := h.clock.Now()
	st := h.timelines.Timeline(id).Status(now)

	h.mu.Lock()
	c := h.chans[id]
	h.mu.Unlock()
	if c != nil {
		var holds []inputHold
		c.mu.Lock()
		for in, s := range c.sessions {
			ih := inputHold{Input: int(in), Inits: len(s.inits), Multivariant: s.multivariant, LastRequestAge: now.Sub(s.last).Seconds()}
			for _, o := range s.objects {
				ih.HeldUploads++
				ih.HeldBytes += int64(len(o.data))
			}
			for _, rd := range s.renditions {
				if ih.NextSeqByRend == nil {
					ih.PendingByRend, ih.NextSeqByRend = map[string]int{}, map[string]uint64{}
				}
				ih.PendingByRend[rd.name] = len(rd.pending)
				ih.NextSeqByRend[rd.name] = rd.next
			}
			holds = append(holds, ih)
		}
		c.mu.Unlock()
		sort.Slice(holds, func(a, b int) bool { return holds[a].Input < holds[b].Input })
		if st.Extra == nil {
			st.Extra = map[string]any{}
		}
		st.Extra["ingest"] = holds
	}
	b, err := json.Marshal(st)
	if err != nil {
		writeErr(http.StatusInternalServerError, "encode status failed")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}
