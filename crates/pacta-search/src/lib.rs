//! Full-text search over the registry's incidents: a tantivy index derived from the store.
//!
//! The index is **derived data**, like the stored assessments: it can be deleted at any
//! time and is rebuilt from the store. It lives next to a SQLite database
//! (`pacta.db.search/`, see [`default_dir`]), in a directory the operator names (`pacta
//! serve --search-index DIR`, for PostgreSQL), or in memory (tests, PostgreSQL without a
//! directory), and records in its commit payload the schema version and the log size it
//! covers.
//!
//! # Invariants
//! - **Fresh up to the log.** Every change to an incident's facts or marking sets
//!   `incidents.log_index` in the transaction that appends its log entry, so the incidents
//!   changed since the index last covered log size N are exactly those with
//!   `log_index >= N` ([`pacta_store::Store::incidents_changed_since`]). [`SearchIndex::search`]
//!   first compares the covered size with the log's and catches up when the log has grown,
//!   so an answer never reflects a marking older than the log at the time of the request.
//!   A restart reads only what changed; a different schema version, a log that shrank, a
//!   log that starts with a different entry (another database) or one whose entry where
//!   the index stopped differs (a database restored from a backup that then grew again)
//!   rebuilds from scratch.
//! - **Scoped in the query, never after counting.** Every search takes the viewer's
//!   [`Access`] and adds it as a mandatory clause of the query itself, so hits, the total
//!   and the facet counts are all computed over incidents the viewer may read. Sharing
//!   lists are not indexed: the incidents shared with the viewer's grantees are read live
//!   from the store for each search ([`pacta_store::Store::granted_incidents`]).
//! - **Ranked by public statistics.** BM25 weighs words and field lengths by statistics
//!   over the CLEAR incidents only, for every viewer, so restricted records cannot move
//!   the order of the hits a viewer sees (see `PublicStatistics`).
//! - **Only the incident's own text is indexed**: title, description, alleged actors,
//!   targets and sources. Attribution claims (which may be private to a few parties) are
//!   not, so a match can never reveal a claim's wording.
//! - **Bounded work per query.** A query is at most [`MAX_QUERY_CHARS`] characters, nests parentheses at most [`MAX_QUERY_NESTING`] deep, and
//!   ranked pages reach at most [`MAX_WINDOW`] hits deep. List pages (no text, in date
//!   order) may go deeper: their heap is a fast field's values, bounded by the registry.

use pacta_core::{IncidentId, Sector, Tlp};
use pacta_store::{Access, ChangedIncident, IncidentFilter, Store, StoreError};
use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tantivy::collector::{Collector, Count, SegmentCollector, TopDocs};
use tantivy::columnar::StrColumn;
use tantivy::query::{Bm25StatisticsProvider, BooleanQuery, ConstScoreQuery, EmptyQuery, Occur, Query, QueryParser, RangeQuery, TermQuery, TermSetQuery};
use tantivy::schema::{Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED};
use tantivy::{DocAddress, DocId, DocSet, TERMINATED, Index, IndexReader, IndexWriter, ReloadPolicy, Score, SegmentReader, TantivyDocument, Term};

/// Bump when the schema or what goes into a field changes: an index with another version
/// is rebuilt on open.
pub const SCHEMA_VERSION: u32 = 2;
/// The longest query accepted.
pub const MAX_QUERY_CHARS: usize = 200;

/// The deepest nesting of parentheses a query may have (see [`SearchIndex::parse`]).
pub const MAX_QUERY_NESTING: usize = 4;
/// How deep ranked pages reach (`offset + limit`): keeps each query's heap small.
pub const MAX_WINDOW: usize = 10_000;
/// Incidents read from the store per page while catching up.
const CATCH_UP_PAGE: u32 = 2_000;
/// The writer's memory budget, shared by its threads. Bounds the memory the index
/// takes while it is built.
const WRITER_BUDGET: usize = 96 * 1024 * 1024;

/// The facets counted for every search.
pub const FACETS: [&str; 4] = ["sector", "operation_type", "target_state", "alleged_state"];

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The query text cannot be parsed. The message says why, in tantivy's words.
    #[error("{0}")]
    BadQuery(String),
    /// `offset + limit` beyond [`MAX_WINDOW`].
    #[error("a search shows at most the first {MAX_WINDOW} results; narrow the search instead of paging further")]
    TooDeep,
    /// The index is being built for the first time and cannot answer yet.
    #[error("the search index is being built; try again in a minute")]
    Building,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index at {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// Where the index of the database at `store_url` lives: `PATH.search` beside a SQLite
/// file; `None` (in memory) for PostgreSQL.
pub fn default_dir(store_url: &str) -> Option<PathBuf> {
    if store_url.starts_with("postgres://") || store_url.starts_with("postgresql://") {
        return None;
    }
    let path = store_url.strip_prefix("sqlite://").or_else(|| store_url.strip_prefix("sqlite:")).unwrap_or(store_url);
    let path = path.split('?').next().unwrap_or(path);
    Some(PathBuf::from(format!("{path}.search")))
}

/// One page of ranked hits.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Hits {
    /// How many incidents in the viewer's scope match (all pages).
    pub total: u64,
    /// The page, best match first.
    pub ids: Vec<IncidentId>,
    /// Per facet (see [`FACETS`]), value → number of matching incidents.
    pub facets: BTreeMap<&'static str, BTreeMap<String, u64>>,
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    title: Field,
    description: Field,
    actors: Field,
    targets: Field,
    sources: Field,
    tlp: Field,
    dataset: Field,
    sector: Field,
    operation_type: Field,
    target_state: Field,
    alleged_state: Field,
    start: Field,
    /// The list order as one number: start date descending, undated last, then newest
    /// record first (see [`order_key`]).
    order: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    // English stemming, positions for phrase queries.
    let text = TextOptions::default().set_indexing_options(TextFieldIndexing::default().set_tokenizer("en_stem").set_index_option(IndexRecordOption::WithFreqsAndPositions));
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        title: b.add_text_field("title", text.clone()),
        description: b.add_text_field("description", text.clone()),
        actors: b.add_text_field("actors", text.clone()),
        targets: b.add_text_field("targets", text.clone()),
        sources: b.add_text_field("sources", text),
        tlp: b.add_text_field("tlp", STRING),
        dataset: b.add_text_field("dataset", STRING),
        sector: b.add_text_field("sector", STRING | FAST),
        operation_type: b.add_text_field("operation_type", STRING | FAST),
        target_state: b.add_text_field("target_state", STRING | FAST),
        alleged_state: b.add_text_field("alleged_state", STRING | FAST),
        // Days from 0001-01-01 (chrono's num_days_from_ce); absent when undated.
        start: b.add_i64_field("start", INDEXED | FAST),
        order: b.add_u64_field("order", FAST),
    };
    (b.build(), fields)
}

/// What the index records about itself in each commit.
#[derive(serde::Serialize, serde::Deserialize, Default, Clone, PartialEq, Debug)]
struct Payload {
    schema: u32,
    /// The log size the index reflects.
    log_size: u64,
    /// The hex leaf hash of the log's first entry: tells one database from another.
    first_leaf: Option<String>,
    /// The hex leaf hash of the last entry covered: tells the log the index was built
    /// from from one that was restored to an earlier point (a backup) and grew again
    /// with other entries, which the first entry and the size alone would not. An index
    /// written before this was recorded has none, and is rebuilt once.
    #[serde(default)]
    last_leaf: Option<String>,
}

struct Writing {
    writer: Option<Arc<IndexWriter>>,
    payload: Payload,
    /// Set once a build or catch-up has committed in this process.
    ready: bool,
}

/// The search index over one store's incidents.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    f: Fields,
    parser: QueryParser,
    writing: tokio::sync::Mutex<Writing>,
    /// The log size the searchable state reflects, for the lock-free fast path.
    covered: AtomicU64,
    path: Option<PathBuf>,
    /// The public totals BM25 ranks by, for one searcher generation (see
    /// [`PublicStatistics`]).
    public_totals: std::sync::Mutex<Option<Arc<PublicTotals>>>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SearchIndex({:?}, covers log size {})", self.path, self.covered.load(Ordering::Acquire))
    }
}

impl SearchIndex {
    /// Opens the index in `dir` (created if missing; rebuilt if its schema differs), or an
    /// empty in-memory index. Nothing is indexed until [`SearchIndex::catch_up`].
    pub fn open(dir: Option<&Path>) -> Result<SearchIndex, SearchError> {
        let (schema, f) = schema();
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| SearchError::Io { path, source }
        };
        let (index, payload) = match dir {
            None => (Index::create_in_ram(schema.clone()), Payload::default()),
            Some(dir) => {
                let existing = if dir.join("meta.json").exists() {
                    match Index::open_in_dir(dir) {
                        Ok(index) => {
                            let payload = index.load_metas().ok().and_then(|m| m.payload).and_then(|p| serde_json::from_str::<Payload>(&p).ok());
                            match payload {
                                Some(p) if p.schema == SCHEMA_VERSION && index.schema() == schema => Some((index, p)),
                                _ => None,
                            }
                        }
                        Err(e) => {
                            tracing::warn!(path = %dir.display(), error = %e, "the search index cannot be opened; rebuilding it");
                            None
                        }
                    }
                } else {
                    None
                };
                match existing {
                    Some(found) => found,
                    None => {
                        if dir.exists() {
                            tracing::info!(path = %dir.display(), "the search index is missing, from another version or unreadable; rebuilding it");
                            std::fs::remove_dir_all(dir).map_err(io(dir))?;
                        }
                        std::fs::create_dir_all(dir).map_err(io(dir))?;
                        (Index::create_in_dir(dir, schema.clone())?, Payload::default())
                    }
                }
            }
        };
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let mut parser = QueryParser::for_index(&index, vec![f.title, f.description, f.actors, f.targets, f.sources]);
        parser.set_conjunction_by_default();
        parser.set_field_boost(f.title, 2.0);
        let covered = AtomicU64::new(payload.log_size);
        Ok(SearchIndex {
            index,
            reader,
            f,
            parser,
            writing: tokio::sync::Mutex::new(Writing { writer: None, payload, ready: false }),
            covered,
            path: dir.map(Path::to_path_buf),
            public_totals: std::sync::Mutex::new(None),
        })
    }

    /// The log size the index covers.
    pub fn covered(&self) -> u64 {
        self.covered.load(Ordering::Acquire)
    }

    /// The number of incidents in the index.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Brings the index up to the store's log: indexes the incidents changed since the
    /// covered log size, or everything when the index is new or belongs to another log.
    /// Returns how many incidents were (re)indexed. Concurrent callers wait for one pass.
    pub async fn catch_up(&self, store: &Store) -> Result<u64, SearchError> {
        let mut w = self.writing.lock().await;
        self.catch_up_locked(store, &mut w).await
    }

    async fn catch_up_locked(&self, store: &Store, w: &mut Writing) -> Result<u64, SearchError> {
        let size = store.log_size().await?;
        let first_leaf = store.log_leaf_hashes(0, size.min(1)).await?.first().map(hex);
        let covered = w.payload.log_size;
        // The index may be reused only for the log it was built from: the same first
        // entry, no shorter, and the same entry where the index stopped. Once a pass has
        // succeeded in this process, the log it follows can only have grown (it is
        // append-only), so the last check is made only on the first pass.
        let same_log = w.payload.schema == SCHEMA_VERSION
            && w.payload.first_leaf == first_leaf
            && covered <= size
            && (w.ready || covered == 0 || w.payload.last_leaf == store.log_leaf_hashes(covered - 1, covered).await?.first().map(hex));
        if same_log && w.payload.log_size == size {
            if !w.ready {
                tracing::info!(log_size = size, path = ?self.path, "search index reused: it covers the whole log");
            }
            w.ready = true;
            return Ok(0);
        }
        // Read before the writer is taken, so a failure here leaves nothing half done.
        let last_leaf = if size == 0 { None } else { store.log_leaf_hashes(size - 1, size).await?.first().map(hex) };
        let writer = match w.writer.take() {
            Some(writer) => writer,
            None => Arc::new(self.index.writer_with_num_threads(2, WRITER_BUDGET)?),
        };
        let since = if same_log { w.payload.log_size } else { 0 };
        let started = std::time::Instant::now();
        let result = self.index_changes(store, writer.clone(), since).await;
        let mut writer = writer;
        let payload = Payload { schema: SCHEMA_VERSION, log_size: size, first_leaf, last_leaf };
        let outcome = match result {
            Ok(n) => {
                let text = serde_json::to_string(&payload).expect("a payload serialises");
                let committed = tokio::task::spawn_blocking(move || {
                    let w = Arc::get_mut(&mut writer).expect("the writer is not shared outside a catch-up");
                    let mut prepared = w.prepare_commit()?;
                    prepared.set_payload(&text);
                    prepared.commit()?;
                    Ok::<_, tantivy::TantivyError>(writer)
                })
                .await
                .map_err(|e| SearchError::Index(tantivy::TantivyError::InternalError(e.to_string())))?;
                match committed {
                    Ok(writer) => {
                        w.writer = Some(writer);
                        Ok(n)
                    }
                    Err(e) => Err(e.into()),
                }
            }
            Err(e) => {
                // Drop what was added: the next pass starts again from the covered size.
                if let Some(w2) = Arc::get_mut(&mut writer) {
                    let _ = w2.rollback();
                }
                w.writer = Some(writer);
                Err(e)
            }
        };
        let n = outcome?;
        self.reader.reload()?;
        w.payload = payload;
        w.ready = true;
        self.covered.store(size, Ordering::Release);
        tracing::info!(incidents = n, log_size = size, full = since == 0, ms = started.elapsed().as_millis() as u64, "search index caught up");
        Ok(n)
    }

    /// Feeds the writer every incident changed since log size `since`.
    async fn index_changes(&self, store: &Store, writer: Arc<IndexWriter>, since: u64) -> Result<u64, SearchError> {
        let fresh = since == 0;
        if fresh {
            writer.delete_all_documents()?;
        }
        let mut cursor = (since, -1);
        let mut n = 0;
        loop {
            let page = store.incidents_changed_since(cursor, CATCH_UP_PAGE).await?;
            let Some(last) = page.last() else { break };
            cursor = last.cursor();
            let full = page.len() == CATCH_UP_PAGE as usize;
            n += page.len() as u64;
            let docs: Vec<(Term, TantivyDocument)> = page.iter().map(|c| (Term::from_field_text(self.f.id, &c.incident.id.to_string()), document(&self.f, c))).collect();
            let w = writer.clone();
            // Adding blocks when the indexing threads are behind: keep it off the runtime.
            tokio::task::spawn_blocking(move || {
                for (id, doc) in docs {
                    if !fresh {
                        w.delete_term(id);
                    }
                    w.add_document(doc)?;
                }
                Ok::<_, tantivy::TantivyError>(())
            })
            .await
            .map_err(|e| SearchError::Index(tantivy::TantivyError::InternalError(e.to_string())))??;
            if !full {
                break;
            }
        }
        Ok(n)
    }

    /// Catches up if the log has grown since the index last did. While the first build of
    /// a large registry runs, other callers get [`SearchError::Building`] instead of waiting.
    async fn ensure_fresh(&self, store: &Store) -> Result<(), SearchError> {
        let size = store.log_size().await?;
        if size == self.covered() && self.writing.try_lock().map(|w| w.ready).unwrap_or(true) {
            return Ok(());
        }
        let mut w = match self.writing.try_lock() {
            Ok(w) => w,
            Err(_) => {
                // Someone is catching up. If the index has never been ready, that is the
                // first build, which can take a while: say so rather than hang.
                if self.covered() == 0 && size > 0 {
                    return Err(SearchError::Building);
                }
                self.writing.lock().await
            }
        };
        if w.ready && w.payload.log_size >= size {
            return Ok(());
        }
        self.catch_up_locked(store, &mut w).await.map(|_| ())
    }

    /// Parses a query as a person types it: words (all must match), `"a phrase"`,
    /// `-word`, `word OR other`, `title:word`. Refuses malformed queries with the reason.
    pub fn parse(&self, text: &str) -> Result<Box<dyn Query>, SearchError> {
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(SearchError::BadQuery(format!("a search is at most {MAX_QUERY_CHARS} characters")));
        }
        // The query parser's work grows exponentially with nested parentheses: at depth 30
        // one request held a core for minutes. Nobody types more than a few levels.
        let mut depth = 0usize;
        for c in text.chars() {
            match c {
                '(' => {
                    depth += 1;
                    if depth > MAX_QUERY_NESTING {
                        return Err(SearchError::BadQuery(format!("a search nests parentheses at most {MAX_QUERY_NESTING} deep")));
                    }
                }
                ')' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        self.parser.parse_query(text).map_err(|e| SearchError::BadQuery(e.to_string()))
    }

    /// One page of the incidents matching `text` and `filter` that `access` may read,
    /// best match first, with the total and the facet counts over the same set.
    /// `filter.access` is ignored: the scope is the `access` argument, which is required.
    pub async fn search(&self, store: &Store, access: &Access, filter: &IncidentFilter, text: &str, limit: usize, offset: usize) -> Result<Hits, SearchError> {
        let text_query = self.parse(text)?;
        if offset.saturating_add(limit) > MAX_WINDOW {
            return Err(SearchError::TooDeep);
        }
        self.ensure_fresh(store).await?;
        let granted = store.granted_incidents(access).await?;
        let Some(scope) = self.scope(access, &granted) else { return Ok(Hits::default()) };
        // Only the words rank: the scope and the filters select, and score nothing (a
        // marking's term would otherwise weigh by how many incidents carry that marking).
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text_query), (Occur::Must, Box::new(ConstScoreQuery::new(scope, 0.0)))];
        clauses.extend(self.filter_clauses(filter).into_iter().map(|q| (Occur::Must, Box::new(ConstScoreQuery::new(q, 0.0)) as Box<dyn Query>)));
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let facets = FacetCounts { fields: FACETS };
        let top = TopDocs::with_limit(limit.max(1)).and_offset(offset);
        let statistics = self.public_statistics(&searcher)?;
        let (top, total, facets) = searcher.search_with_statistics_provider(&query, &(top, Count, facets), &statistics)?;
        let mut ids = Vec::with_capacity(top.len());
        for (_, addr) in top.into_iter().take(limit) {
            ids.push(self.id_of(&searcher, addr)?);
        }
        Ok(Hits { total: total as u64, ids, facets })
    }

    /// One page of the incidents matching `filter` that `access` may read, in the list
    /// order (start date descending, undated last, newest record first), with the total.
    /// The same answer as the store's filtered list, from the index: a filtered count over
    /// a million incidents takes the index milliseconds and the database a full scan.
    /// `filter.text` and `filter.access` are ignored. No facet counts.
    ///
    /// Unlike ranked pages, a list page may be as deep as the registry: it is ordered by a
    /// fast field, and its heap holds `offset + limit` entries of 16 bytes (16 MB a
    /// million deep). The database, which keeps no index in list order, sorts every match
    /// for each page instead.
    pub async fn list(&self, store: &Store, access: &Access, filter: &IncidentFilter, limit: usize, offset: usize) -> Result<Hits, SearchError> {
        self.ensure_fresh(store).await?;
        let granted = store.granted_incidents(access).await?;
        let Some(scope) = self.scope(access, &granted) else { return Ok(Hits::default()) };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, scope)];
        clauses.extend(self.filter_clauses(filter).into_iter().map(|q| (Occur::Must, q)));
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        // Invariant: the heap is never larger than the index. A page past the last match is
        // empty whatever its offset, so the offset is first brought within the index: a
        // request for page ten billion costs what the last page costs, not 320 GB.
        let offset = offset.min(searcher.num_docs() as usize);
        let top = TopDocs::with_limit(limit.max(1)).and_offset(offset).order_by_u64_field("order", tantivy::Order::Desc);
        let (top, total) = searcher.search(&query, &(top, Count))?;
        let mut ids = Vec::with_capacity(top.len());
        for (_, addr) in top.into_iter().take(limit) {
            ids.push(self.id_of(&searcher, addr)?);
        }
        Ok(Hits { total: total as u64, ids, facets: BTreeMap::new() })
    }

    /// The ranking statistics for `searcher`'s generation: its public totals, computed
    /// once per generation (a walk over the CLEAR incidents' field lengths), and the
    /// words' public counts, remembered for the generation as queries ask for them.
    fn public_statistics<'s>(&self, searcher: &'s tantivy::Searcher) -> Result<PublicStatistics<'s>, SearchError> {
        let generation = searcher.generation().generation_id();
        let mut cached = self.public_totals.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let totals = match &*cached {
            Some(totals) if totals.generation == generation => totals.clone(),
            _ => {
                let totals = Arc::new(PublicTotals::count(searcher, &self.f, generation)?);
                *cached = Some(totals.clone());
                totals
            }
        };
        Ok(PublicStatistics { searcher, totals })
    }

    fn id_of(&self, searcher: &tantivy::Searcher, addr: DocAddress) -> Result<IncidentId, SearchError> {
        let doc: TantivyDocument = searcher.doc(addr)?;
        let id = doc.get_first(self.f.id).and_then(|v| v.as_str()).unwrap_or_default();
        IncidentId::parse(id).map_err(|e| SearchError::Index(tantivy::TantivyError::InternalError(format!("indexed incident id {id:?}: {e}"))))
    }

    /// The viewer's scope as a query: levels read outright, or one of the incidents
    /// shared with the viewer. `None` when the viewer may read nothing.
    fn scope(&self, access: &Access, granted: &[IncidentId]) -> Option<Box<dyn Query>> {
        let mut any: Vec<(Occur, Box<dyn Query>)> = access.open.iter().map(|t| (Occur::Should, term(self.f.tlp, t.label()))).collect();
        if !granted.is_empty() {
            // The store already matched each grant against the incident's marking.
            let ids = granted.iter().map(|id| Term::from_field_text(self.f.id, &id.to_string()));
            any.push((Occur::Should, Box::new(TermSetQuery::new(ids))));
        }
        (!any.is_empty()).then(|| Box::new(BooleanQuery::new(any)) as Box<dyn Query>)
    }

    fn filter_clauses(&self, f: &IncidentFilter) -> Vec<Box<dyn Query>> {
        let fl = &self.f;
        let mut out: Vec<Box<dyn Query>> = Vec::new();
        if let Some(s) = f.target_state {
            out.push(term(fl.target_state, s.as_str()));
        }
        if let Some(s) = f.alleged_state {
            out.push(term(fl.alleged_state, s.as_str()));
        }
        if let Some(s) = f.state {
            out.push(Box::new(BooleanQuery::new(vec![(Occur::Should, term(fl.target_state, s.as_str())), (Occur::Should, term(fl.alleged_state, s.as_str()))])));
        }
        if let Some(s) = f.sector {
            out.push(term(fl.sector, s.label()));
        }
        if let Some(o) = f.operation_type {
            out.push(term(fl.operation_type, o.label()));
        }
        if let Some(d) = f.dataset {
            out.push(term(fl.dataset, d.label()));
        }
        if let Some(max) = f.max_tlp {
            let levels: Vec<(Occur, Box<dyn Query>)> = Tlp::ALL.iter().filter(|t| **t <= max).map(|t| (Occur::Should, term(fl.tlp, t.label()))).collect();
            out.push(if levels.is_empty() { Box::new(EmptyQuery) } else { Box::new(BooleanQuery::new(levels)) });
        }
        if f.from.is_some() || f.to.is_some() {
            let bound = |d: Option<chrono::NaiveDate>| match d {
                Some(d) => Bound::Included(Term::from_field_i64(fl.start, days(d))),
                None => Bound::Unbounded,
            };
            out.push(Box::new(RangeQuery::new(bound(f.from), bound(f.to))));
        }
        out
    }
}

/// The text fields a query searches, whose lengths BM25 weighs.
fn text_fields(f: &Fields) -> [Field; 5] {
    [f.title, f.description, f.actors, f.targets, f.sources]
}

/// How many words' public counts one generation remembers; past it, counts are computed
/// for each query (a set of queries that large is not a working set).
const REMEMBERED_WORDS: usize = 100_000;

/// The CLEAR incidents' totals that BM25 needs, for one searcher generation: their
/// number, per text field the number of words in it, which documents they are (a bit per
/// document of each segment), and the counts of words asked so far.
struct PublicTotals {
    generation: u64,
    docs: u64,
    tokens: Vec<(Field, u64)>,
    /// Per segment, in the searcher's order: bit `d` is set when document `d` is a live
    /// CLEAR incident.
    public: Vec<Vec<u64>>,
    doc_freqs: std::sync::Mutex<std::collections::HashMap<Term, u64>>,
}

impl PublicTotals {
    fn count(searcher: &tantivy::Searcher, f: &Fields, generation: u64) -> tantivy::Result<PublicTotals> {
        let fields = text_fields(f);
        let clear = Term::from_field_text(f.tlp, Tlp::Clear.label());
        let mut docs = 0u64;
        let mut tokens = [0u64; 5];
        let mut public = Vec::with_capacity(searcher.segment_readers().len());
        for segment in searcher.segment_readers() {
            let mut bits = vec![0u64; (segment.max_doc() as usize).div_ceil(64)];
            if let Some(mut postings) = segment.inverted_index(f.tlp)?.read_postings(&clear, IndexRecordOption::Basic)? {
                let norms = fields.iter().map(|field| segment.get_fieldnorms_reader(*field)).collect::<tantivy::Result<Vec<_>>>()?;
                let mut doc = postings.doc();
                while doc != TERMINATED {
                    if !segment.is_deleted(doc) {
                        docs += 1;
                        bits[doc as usize / 64] |= 1 << (doc % 64);
                        for (total, norms) in tokens.iter_mut().zip(&norms) {
                            *total += u64::from(norms.fieldnorm(doc));
                        }
                    }
                    doc = postings.advance();
                }
            }
            public.push(bits);
        }
        Ok(PublicTotals { generation, docs, tokens: fields.into_iter().zip(tokens).collect(), public, doc_freqs: Default::default() })
    }

    /// How many live CLEAR incidents hold `term`: its postings, read against the bits.
    fn public_doc_freq(&self, searcher: &tantivy::Searcher, term: &Term) -> tantivy::Result<u64> {
        if let Some(n) = self.doc_freqs.lock().unwrap_or_else(|p| p.into_inner()).get(term) {
            return Ok(*n);
        }
        let mut n = 0u64;
        for (segment, bits) in searcher.segment_readers().iter().zip(&self.public) {
            let Some(mut postings) = segment.inverted_index(term.field())?.read_postings(term, IndexRecordOption::Basic)? else { continue };
            let mut doc = postings.doc();
            while doc != TERMINATED {
                n += bits.get(doc as usize / 64).map_or(0, |w| w >> (doc % 64) & 1);
                doc = postings.advance();
            }
        }
        let mut remembered = self.doc_freqs.lock().unwrap_or_else(|p| p.into_inner());
        if remembered.len() < REMEMBERED_WORDS {
            remembered.insert(term.clone(), n);
        }
        Ok(n)
    }
}

/// BM25's statistics taken over the CLEAR incidents only, for every viewer.
///
/// Invariant: nothing a viewer may not read moves the order of what it may. BM25 weighs
/// a word by how many documents hold it and a field by its average length; over the
/// whole index, a word used only in AMBER or RED incidents would lower its own weight,
/// and a reader of CLEAR incidents could tell, from the order of public hits, that
/// restricted records say it. Everyone may read the CLEAR incidents, so statistics over
/// them alone tell nobody anything new. (Deleted documents, the older versions of
/// re-marked incidents, are left out too.)
struct PublicStatistics<'s> {
    searcher: &'s tantivy::Searcher,
    totals: Arc<PublicTotals>,
}

impl Bm25StatisticsProvider for PublicStatistics<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        // At least one word, so that an index without CLEAR incidents averages to a
        // number (BM25 divides by the average length).
        Ok(self.totals.tokens.iter().find(|(f, _)| *f == field).map_or(0, |(_, n)| *n).max(1))
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        Ok(self.totals.docs.max(1))
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        // BM25 requires a word's count not to exceed the number of documents.
        Ok(self.totals.public_doc_freq(self.searcher, term)?.min(self.totals.docs.max(1)))
    }
}

fn days(d: chrono::NaiveDate) -> i64 {
    i64::from(chrono::Datelike::num_days_from_ce(&d))
}

fn term(field: Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic))
}

fn hex(bytes: &[u8; 32]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A label as people write it: `critical_infrastructure` → `critical infrastructure`.
fn words(label: &str) -> String {
    label.replace('_', " ")
}

/// The document for one incident. Facet values are de-duplicated, as the statistics
/// count each incident once per value.
fn document(f: &Fields, c: &ChangedIncident) -> TantivyDocument {
    let i = &c.incident;
    let mut doc = TantivyDocument::default();
    doc.add_text(f.id, i.id.to_string());
    doc.add_text(f.title, &i.title);
    doc.add_text(f.description, &i.description);
    for a in &i.alleged_actors {
        let mut text = Vec::new();
        if let Some(n) = &a.name {
            text.push(n.clone());
        }
        if let Some(s) = a.state {
            text.push(format!("{} {}", s.as_str(), s.name()));
        }
        text.push(words(a.category.label()));
        doc.add_text(f.actors, text.join(" "));
    }
    for t in &i.targets {
        let mut text = Vec::new();
        if let Some(s) = t.state {
            text.push(format!("{} {}", s.as_str(), s.name()));
        }
        text.extend(t.place.iter().cloned());
        text.extend(t.entity.iter().cloned());
        text.push(words(t.sector.label()));
        doc.add_text(f.targets, text.join(" "));
    }
    for s in &i.sources {
        doc.add_text(f.sources, s);
    }
    doc.add_text(f.tlp, i.tlp.label());
    if let Some(o) = &i.origin {
        doc.add_text(f.dataset, o.dataset.label());
    }
    let mut sectors: Vec<Sector> = i.targets.iter().map(|t| t.sector).collect();
    sectors.sort_unstable_by_key(|s| s.label());
    sectors.dedup();
    for s in sectors {
        doc.add_text(f.sector, s.label());
    }
    let mut types = i.operation_types.clone();
    types.sort_unstable_by_key(|o| o.label());
    types.dedup();
    for o in types {
        doc.add_text(f.operation_type, o.label());
    }
    for s in i.target_states() {
        doc.add_text(f.target_state, s.as_str());
    }
    for s in i.alleged_states() {
        doc.add_text(f.alleged_state, s.as_str());
    }
    if let Some(d) = i.start_date {
        doc.add_i64(f.start, days(d));
    }
    doc.add_u64(f.order, order_key(i.start_date, c.seq));
    doc
}

/// Sorting by this key, largest first, is the store's list order: start date descending
/// with undated incidents last, ties by `seq` descending (the newest record first).
/// Dates count from 1 so that an undated incident (0) sorts below every dated one;
/// `seq` takes the low 32 bits.
fn order_key(start: Option<chrono::NaiveDate>, seq: i64) -> u64 {
    let day = start.map(|d| days(d).max(0) as u64 + 1).unwrap_or(0);
    (day << 32) | (seq.clamp(0, u32::MAX as i64) as u64)
}

/// Counts matching documents per value of each facet, from the fast-field columns.
struct FacetCounts {
    fields: [&'static str; 4],
}

struct FacetSegment {
    columns: Vec<Option<StrColumn>>,
    counts: Vec<Vec<u64>>,
}

type FacetFruit = BTreeMap<&'static str, BTreeMap<String, u64>>;

impl Collector for FacetCounts {
    type Fruit = FacetFruit;
    type Child = FacetSegment;

    fn for_segment(&self, _ord: u32, segment: &SegmentReader) -> tantivy::Result<FacetSegment> {
        let mut columns = Vec::new();
        let mut counts = Vec::new();
        for name in self.fields {
            let column = segment.fast_fields().str(name)?;
            counts.push(vec![0; column.as_ref().map(|c| c.num_terms()).unwrap_or(0)]);
            columns.push(column);
        }
        Ok(FacetSegment { columns, counts })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Vec<(usize, String, u64)>>) -> tantivy::Result<FacetFruit> {
        let mut out: FacetFruit = self.fields.iter().map(|f| (*f, BTreeMap::new())).collect();
        for (k, value, n) in fruits.into_iter().flatten() {
            *out.get_mut(self.fields[k]).expect("every facet has a map").entry(value).or_default() += n;
        }
        Ok(out)
    }
}

impl SegmentCollector for FacetSegment {
    type Fruit = Vec<(usize, String, u64)>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        for (column, counts) in self.columns.iter().zip(self.counts.iter_mut()) {
            if let Some(column) = column {
                for ord in column.term_ords(doc) {
                    counts[ord as usize] += 1;
                }
            }
        }
    }

    fn harvest(self) -> Self::Fruit {
        let mut out = Vec::new();
        for (k, (column, counts)) in self.columns.iter().zip(self.counts).enumerate() {
            let Some(column) = column else { continue };
            for (ord, n) in counts.into_iter().enumerate().filter(|(_, n)| *n > 0) {
                let mut value = String::new();
                if column.ord_to_str(ord as u64, &mut value).unwrap_or(false) {
                    out.push((k, value, n));
                }
            }
        }
        out
    }
}
