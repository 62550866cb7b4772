//! The SentencePiece-style ("llama") vocabulary written into every generated model.
//!
//! Layout: `<unk>` = 0, `<s>` = 1 (BOS), `</s>` = 2 (EOS), the 256 byte-fallback tokens
//! `<0x00>`..`<0xFF>` at 3..=258, the ChatML control tokens `<|im_start|>` = 259 and
//! `<|im_end|>` = 260, then text pieces with descending scores, then synthetic padding.
//!
//! llama.cpp's SPM tokenizer starts from single characters and repeatedly merges the adjacent
//! pair whose concatenation is a piece. Every word piece is therefore written together with all
//! of its prefixes (`▁h`, `▁he`, `▁hel`, ...): the leftmost two symbols of a word then always
//! form a piece, so a known word always ends up as a single token and text tokenizes into
//! roughly one token per word instead of one per character.

use std::collections::HashSet;
use std::sync::OnceLock;

pub(crate) const UNK_ID: u32 = 0;
pub(crate) const BOS_ID: u32 = 1;
pub(crate) const EOS_ID: u32 = 2;
const FIRST_BYTE_ID: u32 = 3;
pub(crate) const IM_START_ID: u32 = FIRST_BYTE_ID + 256;
pub(crate) const IM_END_ID: u32 = IM_START_ID + 1;
const FIRST_PIECE_ID: u32 = IM_END_ID + 1;

/// SentencePiece's word-boundary marker, which llama.cpp substitutes for spaces.
const SPACE: &str = "\u{2581}";

/// `llama_token_type` values as stored in `tokenizer.ggml.token_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenType {
    Normal = 1,
    Unknown = 2,
    Control = 3,
    Byte = 6,
}

pub(crate) struct Vocab {
    pub tokens: Vec<String>,
    pub scores: Vec<f32>,
    pub types: Vec<TokenType>,
}

/// Number of tokens before any synthetic padding.
pub(crate) fn base_len() -> usize {
    FIRST_PIECE_ID as usize + english_pieces().len()
}

/// The full vocabulary: the built-in tokens followed by `n_extra` synthetic pieces.
pub(crate) fn build(n_extra: usize) -> Vocab {
    let total = base_len() + n_extra;
    let mut vocab = Vocab {
        tokens: Vec::with_capacity(total),
        scores: Vec::with_capacity(total),
        types: Vec::with_capacity(total),
    };
    let mut push = |text: String, score: f32, kind: TokenType| {
        vocab.tokens.push(text);
        vocab.scores.push(score);
        vocab.types.push(kind);
    };

    push("<unk>".into(), 0.0, TokenType::Unknown);
    push("<s>".into(), 0.0, TokenType::Control);
    push("</s>".into(), 0.0, TokenType::Control);
    for byte in 0..=255u8 {
        push(format!("<0x{byte:02X}>"), 0.0, TokenType::Byte);
    }
    push("<|im_start|>".into(), 0.0, TokenType::Control);
    push("<|im_end|>".into(), 0.0, TokenType::Control);

    // SentencePiece scores are log-probabilities: earlier (more frequent) pieces score higher.
    let mut rank = 0.0f32;
    let pieces = english_pieces();
    for piece in pieces {
        rank -= 1.0;
        push(piece.clone(), rank, TokenType::Normal);
    }
    let taken: HashSet<&str> = pieces.iter().map(String::as_str).collect();
    for piece in synthetic_pieces(&taken).take(n_extra) {
        rank -= 1.0;
        push(piece, rank, TokenType::Normal);
    }
    vocab
}

/// Whether a token decodes to plain text, unlike control, unknown and byte tokens.
pub(crate) fn is_text(kind: TokenType) -> bool {
    kind == TokenType::Normal
}

fn english_pieces() -> &'static [String] {
    static PIECES: OnceLock<Vec<String>> = OnceLock::new();
    PIECES.get_or_init(|| {
        let mut pieces = PieceList::default();
        pieces.push(SPACE.to_owned());
        for c in '!'..='~' {
            pieces.push(c.to_string());
        }
        for c in ('a'..='z').chain('A'..='Z').chain('0'..='9') {
            pieces.push(format!("{SPACE}{c}"));
        }
        for word in WORDS
            .split_whitespace()
            .chain(CAPITALIZED.split_whitespace())
        {
            pieces.push_with_prefixes(&format!("{SPACE}{word}"));
        }
        for fragment in FRAGMENTS.split_whitespace() {
            pieces.push_with_prefixes(fragment);
        }
        for run in 2..=8 {
            pieces.push(SPACE.repeat(run));
        }
        pieces.list
    })
}

#[derive(Default)]
struct PieceList {
    list: Vec<String>,
    seen: HashSet<String>,
}

impl PieceList {
    fn push(&mut self, piece: String) {
        if self.seen.insert(piece.clone()) {
            self.list.push(piece);
        }
    }

    /// Adds every prefix of at least two characters, shortest first, then the piece itself.
    fn push_with_prefixes(&mut self, piece: &str) {
        let ends = piece.char_indices().map(|(i, _)| i).skip(2);
        for end in ends.chain(std::iter::once(piece.len())) {
            self.push(piece[..end].to_owned());
        }
    }
}

/// Pronounceable made-up pieces (`▁bakon`, `teru`, ...) that pad the vocabulary to a realistic
/// size, in a fixed order that does not depend on the seed, skipping any piece already present
/// (different syllable splits can spell the same piece, as in `bas|ha` and `ba|sha`).
fn synthetic_pieces(taken: &HashSet<&str>) -> impl Iterator<Item = String> {
    const ONSETS: [&str; 20] = [
        "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z",
        "ch", "sh",
    ];
    const VOWELS: [&str; 5] = ["a", "e", "i", "o", "u"];
    const CODAS: [&str; 6] = ["", "n", "r", "s", "t", "l"];
    let syllables: Vec<String> = ONSETS
        .iter()
        .flat_map(|o| {
            VOWELS
                .iter()
                .flat_map(move |v| CODAS.iter().map(move |c| format!("{o}{v}{c}")))
        })
        .collect();
    let n = syllables.len() as u64;
    let mut seen: HashSet<String> = taken.iter().map(|piece| (*piece).to_owned()).collect();
    (1u32..)
        .flat_map(move |len| {
            let syllables = syllables.clone();
            (0..n.pow(len)).flat_map(move |mut index| {
                let mut word = String::new();
                for _ in 0..len {
                    word.push_str(&syllables[(index % n) as usize]);
                    index /= n;
                }
                [format!("{SPACE}{word}"), word]
            })
        })
        .filter(move |piece| seen.insert(piece.clone()))
}

/// Common English words in rough order of frequency, plus words that benchmark prompts use.
const WORDS: &str = "
the of and to a in is it you that he was for on are with as i his they be at one have this
from or had by hot word but what some we can out other were all there when up use your how
said an each she which do their time if will way about many then them write would like so
these her long make thing see him two has look more day could go come did number sound no
most people my over know water than call first who may down side been now find any new work
part take get place made live where after back little only round man year came show every
good me give our under name very through just form sentence great think say help low line
differ turn cause much mean before move right boy old too same tell does set three want air
well also play small end put home read hand port large spell add even land here must big
high such follow act why ask men change went light kind off need house picture try us again
animal point mother world near build self earth father head stand own page should country
found answer school grow study still learn plant cover food sun four between state keep eye
never last let thought city tree cross farm hard start might story saw far sea draw left late
run don't while press close night real life few north open seem together next white children
begin got walk example ease paper group always music those both mark often letter until mile
river car feet care second book carry took science eat room friend began idea fish mountain
stop once base hear horse cut sure watch color face wood main enough plain girl usual young
ready above ever red list though feel talk bird soon body dog family direct pose leave song
measure door product black short numeral class wind question happen complete ship area half
rock order fire south problem piece told knew pass since top whole king space heard best hour
better true during hundred five remember step early hold west ground interest reach fast verb
sing listen six table travel less morning ten simple several vowel toward war lay against
pattern slow center love person money serve appear road map rain rule govern pull cold notice
voice unit power town fine certain fly fall lead cry dark machine note wait plan figure star
box noun field rest correct able pound done beauty drive stood contain front teach week final
gave green oh quick develop ocean warm free minute strong special mind behind clear tail
produce fact street inch multiply nothing course stay wheel full force blue object decide
surface deep moon island foot system busy test record boat common gold possible plane dry
wonder laugh thousand ago ran check game shape equal miss brought heat snow tire bring yes
distant fill east paint language among grand ball yet wave drop heart am present heavy dance
engine position arm wide sail material size vary settle speak weight general ice matter
circle pair include divide syllable felt perhaps pick sudden count square reason length
represent art subject region energy hunt probable bed brother egg ride cell believe fraction
forest sit race window store summer train sleep prove lone leg exercise wall catch mount wish
sky board joy winter sat written wild instrument kept glass grass cow job edge sign visit past
soft fun bright gas weather month million bear finish happy hope flower clothe strange gone
jump baby eight village meet root buy raise solve metal whether push seven paragraph third
shall held hair describe cook floor either result burn hill safe cat century consider type
law bit coast copy phrase silent tall sand soil roll temperature finger industry value fight
lie beat excite natural view sense ear else quite broke case middle kill son lake moment scale
loud spring observe child straight consonant nation dictionary milk speed method organ pay age
section dress cloud surprise quiet stone tiny climb cool design poor lot experiment bottom key
iron single stick flat twenty skin smile hole trade melody trip office receive row mouth exact
symbol die least trouble shout except wrote seed tone join suggest clean break lady yard rise
bad blow oil blood touch grew cent mix team wire cost lost brown wear garden sent choose fell
fit flow fair bank collect save control decimal gentle woman captain practice separate
difficult doctor please protect noon whose locate ring character insect caught period
indicate radio spoke atom human history effect electric expect crop modern element hit student
corner party supply bone rail imagine provide agree thus capital won't chair danger fruit rich
thick soldier process operate guess necessary sharp wing create neighbor wash bat rather crowd
corn compare poem string bell depend meat rub tube famous dollar stream fear sight thin
triangle planet hurry chief colony clock mine tie enter major fresh search send yellow gun
allow print dead spot desert suit current lift rose continue block chart hat sell success
company subtract event particular deal swim term opposite wife shoe shoulder spread arrange
camp invent cotton born determine quart nine truck noise level chance gather shop stretch
throw shine property column molecule select wrong gray repeat require broad prepare salt nose
plural anger claim continent oxygen sugar death pretty skill women season solution magnet
silver thank branch match suffix especially afraid huge sister steel discuss forward similar
guide experience score apple bought led pitch coat mass card band rope slip win dream evening
condition feed tool total basic smell valley nor double seat arrive master track parent shore
division sheet substance favor connect post spend chord fat glad original share station dad
bread charge proper bar offer segment duck instant market degree chick dear enemy reply drink
occur support speech nature range steam motion path liquid log meant teeth shell neck
hello hi thanks thank yes okay sorry please user assistant system model models data context
summary summarize article text passage document answer answers question questions options
option choice choices correct incorrect true false following based information above below
given provide provided explain explanation reason reasoning step steps solve solution
calculate calculation therefore total sum difference product average percent percentage
price cost costs each per how many much more less than equal equals times plus minus half
twice hours minutes seconds days weeks months years dollars cents apples students people
table tables query queries database column columns row rows record records select where
group order limit join count max min name names id age salary employee employees department
city country customer customers orders product products sale sales date value values
image picture photo shows showing describe description scene object objects color person
safe unsafe harmful help helpful honest respectful cannot can't i'm it's that's there's
what's let's you're we're they're isn't doesn't didn't wasn't aren't won't shouldn't
language english translate sentence sentences paragraph paragraphs main point points topic
news report reports said says according also however although because since while during
after before between against within without about around across through into onto upon
important different possible available public national international government market
business company companies school university research study studies result results
information technology computer software phone phones device devices mobile battery memory
performance benchmark speed fast slow latency token tokens test tests testing example
";

/// Words that often start a sentence, kept with their capital letter.
const CAPITALIZED: &str = "
The A An I It In This That These Those There They We You He She His Her Our Your Their What
Which Who Whom Whose When Where Why How Yes No Not If Then But And Or So For As At By On Of To
From With After Before While Because Although However Therefore Thus Also First Second Third
Finally Question Questions Answer Answers Context Summary Article Passage Options Option
Hello Hi Thanks Please User Assistant System True False None All Some Many Most Each Every
Here Now Today Mr Mrs Ms Dr John Mary James David Michael Sarah London Paris America American
English January February March April May June July August September October November December
Monday Tuesday Wednesday Thursday Friday Saturday Sunday SELECT FROM WHERE GROUP BY ORDER
LIMIT JOIN AND OR COUNT AS ON NOT NULL DESC ASC Step Let Given Find Calculate Explain Choose
Read Write Summarize Translate
";

/// Pieces that occur inside or after words: inflections, common letter groups, punctuation.
const FRAGMENTS: &str = "
s es ed ing er ers est ly tion tions sion ment ments ness able ible al ial ive ous ful less ity
ize ise ant ent ence ance ic ical ure ory ary ism ist ward wise en an on in at it is or ar ur
ir le el th st nd ng ch sh ck ll ss tt pp rr ee oo ea ou ai ie un re de pre pro con com dis
00 000 10 20 19 50 ... -- ). ), \". \", .\" ,\" 's 't 're 'll 've 'm 'd ?\" !\" :\" ); (); ()
== != <= >= => -> ** // /* */
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_are_unique_and_nonempty() {
        let vocab = build(5_000);
        let unique: HashSet<&str> = vocab.tokens.iter().map(String::as_str).collect();
        assert_eq!(unique.len(), vocab.tokens.len());
        assert!(vocab.tokens.iter().all(|t| !t.is_empty()));
        assert_eq!(vocab.tokens.len(), base_len() + 5_000);
    }

    #[test]
    fn special_ids_match_their_text() {
        let vocab = build(0);
        assert_eq!(vocab.tokens[UNK_ID as usize], "<unk>");
        assert_eq!(vocab.tokens[BOS_ID as usize], "<s>");
        assert_eq!(vocab.tokens[EOS_ID as usize], "</s>");
        assert_eq!(vocab.tokens[FIRST_BYTE_ID as usize + 0x0A], "<0x0A>");
        assert_eq!(vocab.tokens[IM_START_ID as usize], "<|im_start|>");
        assert_eq!(vocab.tokens[IM_END_ID as usize], "<|im_end|>");
    }

    #[test]
    fn every_word_has_its_prefix_chain() {
        let vocab = build(0);
        let all: HashSet<&str> = vocab.tokens.iter().map(String::as_str).collect();
        let word = format!("{SPACE}summarize");
        for (end, _) in word.char_indices().skip(2) {
            assert!(all.contains(&word[..end]), "missing {}", &word[..end]);
        }
        assert!(all.contains(word.as_str()));
    }

    #[test]
    fn scores_descend_over_text_pieces() {
        let vocab = build(100);
        let start = FIRST_PIECE_ID as usize;
        assert!(vocab.scores[start..].windows(2).all(|w| w[0] > w[1]));
    }
}
