package hls

// languages maps ISO 639-2 codes (bibliographic and terminology) of
// common languages to their ISO 639-1 code, which BCP 47 (the LANGUAGE
// attribute, HLS §4.4.6.1) requires where one exists, and an English name
// for EXT-X-MEDIA NAME when the encoder gave no label.
var languages = map[string]struct{ code, name string }{
	"ara": {"ar", "Arabic"}, "cat": {"ca", "Catalan"}, "ces": {"cs", "Czech"}, "cze": {"cs", "Czech"},
	"chi": {"zh", "Chinese"}, "zho": {"zh", "Chinese"}, "dan": {"da", "Danish"}, "deu": {"de", "German"},
	"ger": {"de", "German"}, "dut": {"nl", "Dutch"}, "nld": {"nl", "Dutch"}, "ell": {"el", "Greek"},
	"gre": {"el", "Greek"}, "eng": {"en", "English"}, "fin": {"fi", "Finnish"}, "fra": {"fr", "French"},
	"fre": {"fr", "French"}, "heb": {"he", "Hebrew"}, "hin": {"hi", "Hindi"}, "hun": {"hu", "Hungarian"},
	"ind": {"id", "Indonesian"}, "ita": {"it", "Italian"}, "jpn": {"ja", "Japanese"}, "kor": {"ko", "Korean"},
	"may": {"ms", "Malay"}, "msa": {"ms", "Malay"}, "nor": {"no", "Norwegian"}, "pol": {"pl", "Polish"},
	"por": {"pt", "Portuguese"}, "ron": {"ro", "Romanian"}, "rum": {"ro", "Romanian"}, "rus": {"ru", "Russian"},
	"spa": {"es", "Spanish"}, "swe": {"sv", "Swedish"}, "tha": {"th", "Thai"}, "tur": {"tr", "Turkish"},
	"ukr": {"uk", "Ukrainian"}, "vie": {"vi", "Vietnamese"},
}

// bcp47 returns the LANGUAGE value for a track language ("" when unknown
// or undetermined).
func bcp47(lang string) string {
	switch lang {
	case "", "und", "mis", "mul", "zxx":
		return ""
	}
	if l, ok := languages[lang]; ok {
		return l.code
	}
	if !validLanguage(lang) {
		return ""
	}
	return lang
}

// languageName returns a display name for a language code, "" when none
// is known.
func languageName(lang string) string {
	if l, ok := languages[lang]; ok {
		return l.name
	}
	for _, l := range languages {
		if l.code == lang {
			return l.name
		}
	}
	return ""
}

// validLanguage accepts what can go into a quoted-string as a language
// tag: letters, digits and hyphens.
func validLanguage(s string) bool {
	if len(s) == 0 || len(s) > 35 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
