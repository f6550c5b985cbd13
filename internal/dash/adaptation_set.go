package dash

import (
	"math"
	"strconv"

	"github.com/Eyevinn/dash-mpd/mpd"

	"boxcar/internal/media"
	"boxcar/internal/media/codec"
)

// AdaptationSet and Representation elements (ISO/IEC 23009-1 §5.3.3,
// §5.3.5; the AdaptationSet@id and Role rules of the DASH-IF IOP).

// repTemplate is one Representation's SegmentTemplate in a Period.
type repTemplate struct {
	rep  int
	init int
	tmpl *mpd.SegmentTemplateType
}

// buildAdaptationSet builds AdaptationSet a of Period pd, nil when none of
// its Representations has media in pd.
func (pl *plan) buildAdaptationSet(pd *period, a *adaptation) *mpd.AdaptationSetType {
	var reps []repTemplate
	for _, r := range a.reps {
		if t, ok := pl.template(pd, r); ok {
			reps = append(reps, t)
		}
	}
	if len(reps) == 0 {
		return nil
	}
	as := &mpd.AdaptationSetType{Id: mpd.Ptr(a.id), SegmentAlignment: true, Lang: a.lang}
	as.StartWithSAP = 1
	switch a.kind {
	case media.KindVideo:
		as.ContentType, as.MimeType = "video", "video/mp4"
	case media.KindAudio:
		as.ContentType, as.MimeType = "audio", "audio/mp4"
	}
	if a.main {
		as.Roles = []*mpd.DescriptorType{mpd.NewRole("main")}
	}
	if a.label != "" {
		as.Labels = []*mpd.LabelType{{Value: a.label}}
	}
	if pl.set.layout == LayoutCompact && sameTemplates(reps) {
		as.SegmentTemplate = reps[0].tmpl
		for i := range reps {
			reps[i].tmpl = nil
		}
	}
	for _, t := range reps {
		as.Representations = append(as.Representations, pl.buildRepresentation(t))
	}
	return as
}

// buildRepresentation builds a Representation from the configuration its
// Period uses (init t.init).
func (pl *plan) buildRepresentation(t repTemplate) *mpd.RepresentationType {
	rd := &pl.reps[t.rep]
	info := &rd.track.Inits[t.init].Info
	rep := &mpd.RepresentationType{
		Id:              rd.id,
		Bandwidth:       uint32(min(max(rd.stream.Bandwidth, 1), math.MaxUint32)),
		SegmentTemplate: t.tmpl,
	}
	rep.Codecs = codec.RFC6381(*info)
	switch info.Kind {
	case media.KindVideo:
		rep.Width, rep.Height = uint32(max(info.Width, 0)), uint32(max(info.Height, 0))
		rep.FrameRate = mpd.FrameRateType(frameRateText(rd.stream.FrameRate))
		rep.Sar = mpd.RatioType(sarText(info))
	case media.KindAudio:
		if info.SampleRate > 0 {
			rep.AudioSamplingRate = mpd.Ptr(mpd.UIntVectorType(strconv.Itoa(info.SampleRate)))
		}
		if info.Channels > 0 {
			rep.AudioChannelConfigurations = []*mpd.DescriptorType{
				{SchemeIdUri: channelConfigScheme, Value: strconv.Itoa(info.Channels)},
			}
		}
	}
	return rep
}
