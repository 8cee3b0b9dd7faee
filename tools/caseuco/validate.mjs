#!/usr/bin/env node
// validate.mjs validates CASE/UCO JSON-LD files (evidctl export --format case) against the
// CASE 1.4.0 and UCO 1.4.0 ontologies and their SHACL shapes, the way the CASE project's
// case_validate does: the ontology is both the shapes graph and merged into the data
// graph, so that sh:targetClass and sh:class see rdfs:subClassOf.
//
//   node validate.mjs [--ontology DIR] [--allow-info] [--allow-warnings] FILE...
//
// Exit 0: every file conforms. Exit 1: some file has results (each one is listed:
// severity, focus node, path, message, shape). Exit 2: could not run (no ontology, an
// unreadable or malformed file).
//
// Three checks run on each file:
//  1. SHACL Core with rdf-validate-shacl.
//  2. SHACL-SPARQL constraints (sh:sparql with sh:select), which rdf-validate-shacl does
//     not implement, evaluated with Oxigraph over the same merged graph (see sparql()).
//  3. Concept check, as case_validate does: every class and property the data uses in a
//     CASE or UCO namespace must be defined by the ontology (a misspelt term is not
//     otherwise a SHACL violation).
// Like case_validate without --allow-infos/--allow-warnings, results of every severity
// fail unless allowed.
//
// The ontology directory is --ontology if given, else $EVIDCTL_CASE_ONTOLOGY if set,
// else the copy beside this script (ontology/case-uco-1.4.0), else
// ../shared/ontology/case-uco-1.4.0 beside the repository's checkout.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

import datasetFactory from '@rdfjs/dataset'
import jsonld from 'jsonld'
import { DataFactory, Parser } from 'n3'
import oxigraph from 'oxigraph'
import SHACLValidator from 'rdf-validate-shacl'

const here = path.dirname(fileURLToPath(import.meta.url))
const RDF = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#'
const RDFS = 'http://www.w3.org/2000/01/rdf-schema#'
const OWL = 'http://www.w3.org/2002/07/owl#'
const SH = 'http://www.w3.org/ns/shacl#'
const XSD = 'http://www.w3.org/2001/XMLSchema#'
const CONCEPT_NAMESPACES = ['https://ontology.unifiedcyberontology.org/', 'https://ontology.caseontology.org/']

class UsageError extends Error {}

function parseArgs (argv) {
  const opts = { ontology: '', allow: new Set(), files: [] }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--ontology') {
      opts.ontology = argv[++i] ?? ''
      if (!opts.ontology) throw new UsageError('--ontology needs a directory')
    } else if (a === '--allow-info') {
      opts.allow.add(SH + 'Info')
    } else if (a === '--allow-warnings') {
      opts.allow.add(SH + 'Info').add(SH + 'Warning')
    } else if (a === '-h' || a === '--help') {
      throw new UsageError('')
    } else if (a.startsWith('-')) {
      throw new UsageError(`unknown flag ${a}`)
    } else {
      opts.files.push(a)
    }
  }
  if (opts.files.length === 0) throw new UsageError('no file to validate')
  return opts
}

// ontologyDir finds the CASE/UCO ontology folder, or explains where it looked.
function ontologyDir (flag) {
  // A folder named by the flag or the variable is the only one tried: a wrong setting
  // is an error, not a silent fallback.
  const env = process.env.EVIDCTL_CASE_ONTOLOGY
  const candidates = flag
    ? [['--ontology', flag]]
    : env
      ? [['$EVIDCTL_CASE_ONTOLOGY', env]]
      : [
          ['the copy beside validate.mjs', path.join(here, 'ontology', 'case-uco-1.4.0')],
          ['../shared/ontology beside the checkout', path.join(here, '..', '..', '..', 'shared', 'ontology', 'case-uco-1.4.0')]
        ]
  for (const [, dir] of candidates) {
    if (dir && fs.existsSync(path.join(dir, 'case', 'master', 'case.ttl')) && fs.existsSync(path.join(dir, 'uco', 'uco', 'master', 'uco.ttl'))) {
      return dir
    }
  }
  const tried = candidates.map(([what, dir]) => `  ${what}: ${dir || '(unset)'}`).join('\n')
  throw new Error(`the CASE 1.4.0 / UCO 1.4.0 ontology was not found (a folder holding case/master/case.ttl and uco/uco/master/uco.ttl); looked at:\n${tried}\nset EVIDCTL_CASE_ONTOLOGY or pass --ontology DIR`)
}

function turtleFiles (dir) {
  const out = []
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) out.push(...turtleFiles(p))
    else if (e.name.endsWith('.ttl')) out.push(p)
  }
  return out.sort()
}

function loadOntology (dir) {
  const quads = []
  for (const file of turtleFiles(dir)) {
    const text = fs.readFileSync(file, 'utf8')
    try {
      quads.push(...new Parser({ format: 'text/turtle', baseIRI: pathToFileURL(file).href }).parse(text))
    } catch (err) {
      throw new Error(`${file}: ${err.message}`)
    }
  }
  return quads
}

// readExport turns a JSON-LD file into quads. Remote contexts are refused (an export's
// context is inline) and jsonld's safe mode makes anything it would drop an error: a
// term no prefix expands, a malformed @id, an invalid typed value.
async function readExport (file) {
  let text, doc
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    throw new Error(`cannot read ${file}: ${err.message}`)
  }
  try {
    doc = JSON.parse(text)
  } catch (err) {
    throw new Error(`${file}: not JSON: ${err.message}`)
  }
  const documentLoader = async (url) => { throw new Error(`refusing to load the remote document ${url}: the context must be inline`) }
  let nquads
  try {
    nquads = await jsonld.toRDF(doc, { format: 'application/n-quads', safe: true, documentLoader })
  } catch (err) {
    throw new Error(`${file}: not valid JSON-LD: ${err.message}${err.details ? ' ' + JSON.stringify(err.details) : ''}`)
  }
  return new Parser({ format: 'application/n-quads' }).parse(nquads)
}

// conceptCheck lists the CASE/UCO classes and properties the data uses that the
// ontology does not define.
function conceptCheck (ontology, data) {
  const defined = new Set(ontology.map((q) => q.subject.value))
  const used = new Map()
  for (const q of data) {
    const terms = [q.predicate.value]
    if (q.predicate.value === RDF + 'type' && q.object.termType === 'NamedNode') terms.push(q.object.value)
    for (const t of terms) {
      if (CONCEPT_NAMESPACES.some((ns) => t.startsWith(ns)) && !defined.has(t) && !used.has(t)) used.set(t, q.subject.value)
    }
  }
  return [...used].map(([term, subject]) => ({
    severity: SH + 'Violation',
    focusNode: subject,
    path: '',
    message: `${shortName(term)} is not a concept the CASE 1.4.0 / UCO 1.4.0 ontology defines`,
    shape: 'concept check'
  }))
}

// coreValidator is rdf-validate-shacl over the ontology's shapes, built once per run.
// rdf-validate-shacl throws on SHACL-SPARQL constraints: sparql() checks them. Every
// owl:imports is already among the ontology's files (or outside them, as
// http://purl.org/co is for case_validate too): nothing is fetched.
function coreValidator (ontology) {
  const shapes = datasetFactory.dataset(ontology.filter((q) => q.predicate.value !== SH + 'sparql'))
  return new SHACLValidator(shapes, { importGraph: () => datasetFactory.dataset() })
}

async function shaclCore (validator, merged) {
  const report = await validator.validate(datasetFactory.dataset(merged))
  return report.results.map((r) => ({
    severity: r.severity?.value ?? SH + 'Violation',
    focusNode: r.focusNode?.value ?? '',
    path: r.path?.termType === 'NamedNode' ? r.path.value : '',
    message: r.message.map((m) => m.value).join(' ') || `fails ${shortName(r.sourceConstraintComponent?.value ?? 'a constraint')}`,
    shape: r.sourceShape?.termType === 'NamedNode' ? r.sourceShape.value : (r.sourceConstraintComponent?.value ?? ''),
    value: r.value?.value
  }))
}

// sparql evaluates the shapes graph's SHACL-SPARQL constraints (sh:sparql/sh:select),
// which rdf-validate-shacl does not implement, over the merged graph: each query runs
// with $this bound to the shape's focus nodes (see solutions; GROUP BY gets $this
// added, so that groups stay per focus node). $PATH is replaced by a property path that
// is one IRI; other paths, sh:ask validators and SPARQL-based targets are not supported
// and stop the run.
function sparql (ontology, merged) {
  const store = new oxigraph.Store()
  for (const q of merged) store.add(oxigraph.fromQuad(q))
  const sh = (local) => oxigraph.namedNode(SH + local)
  const one = (s, p) => store.match(s, p, null, oxigraph.defaultGraph())[0]?.object
  const results = []
  const shapes = new Map()
  for (const q of ontology) {
    if (q.predicate.value === SH + 'sparql') shapes.set(q.subject.value + ' ' + q.subject.termType, q.subject)
  }
  for (const n3shape of shapes.values()) {
    const shape = oxigraph.fromTerm(n3shape)
    if (one(shape, sh('deactivated'))?.value === 'true') continue
    const focus = focusNodes(store, shape)
    const severity = one(shape, sh('severity'))?.value ?? SH + 'Violation'
    for (const { object: c } of store.match(shape, sh('sparql'), null, oxigraph.defaultGraph())) {
      if (one(c, sh('deactivated'))?.value === 'true') continue
      const select = one(c, sh('select'))?.value
      if (!select) throw new Error(`shape ${shape.value}: a SPARQL constraint without sh:select is not supported`)
      const message = (one(c, sh('message')) ?? one(shape, sh('message')))?.value ?? 'SPARQL constraint'
      const query = prefixes(store, c, select) + bindable(select, store, shape)
      for (const [row, boundTo] of solutions(store, query, focus)) {
        const hits = row.has('this') ? [row.get('this')] : boundTo
        for (const t of hits) {
          if (!focus.has(key(t))) continue
          results.push({ severity, focusNode: t.value, path: '', message, shape: shape.termType === 'NamedNode' ? shape.value : 'sh:sparql', value: row.get('value')?.value })
        }
      }
    }
  }
  return results
}

const key = (t) => t.termType + ' ' + t.value

// solutions runs a constraint's query with $this bound to the focus nodes, the way
// SHACL pre-binds it: IRIs and literals through a VALUES block at the head of the
// WHERE clause (so that FILTER NOT EXISTS sees them too), a few hundred at a time.
// Blank nodes cannot be written in a query: for them the query runs with $this free,
// which finds the same solutions when the pattern binds $this outside filters (as UCO's
// blank-node check does). Yields [solution, the focus nodes it may concern].
function * solutions (store, query, focus) {
  const nodes = [...focus.values()]
  const named = nodes.filter((t) => t.termType !== 'BlankNode')
  const blank = nodes.filter((t) => t.termType === 'BlankNode')
  const open = query.search(/\{/)
  if (open < 0) throw new Error(`a SPARQL constraint has no WHERE clause: ${query}`)
  for (let i = 0; i < named.length; i += 500) {
    const batch = named.slice(i, i + 500)
    const values = `VALUES $this { ${batch.map((t) => t.toString()).join(' ')} } `
    for (const row of store.query(query.slice(0, open + 1) + values + query.slice(open + 1))) yield [row, batch]
  }
  if (blank.length) {
    for (const row of store.query(query)) yield [row, blank]
  }
}

function focusNodes (store, shape) {
  const out = new Map()
  const addAll = (query) => { for (const row of store.query(query)) out.set(key(row.get('f')), row.get('f')) }
  const nt = (t) => t.termType === 'NamedNode' ? `<${t.value}>` : null
  const targets = (p) => store.match(shape, oxigraph.namedNode(SH + p), null, oxigraph.defaultGraph()).map((q) => q.object)
  const classes = targets('targetClass')
  if (store.has(oxigraph.triple(shape, oxigraph.namedNode(RDF + 'type'), oxigraph.namedNode(RDFS + 'Class'))) ||
      store.has(oxigraph.triple(shape, oxigraph.namedNode(RDF + 'type'), oxigraph.namedNode(OWL + 'Class')))) classes.push(shape)
  for (const c of classes) if (nt(c)) addAll(`SELECT DISTINCT ?f WHERE { ?f <${RDF}type>/<${RDFS}subClassOf>* ${nt(c)} }`)
  for (const p of targets('targetSubjectsOf')) if (nt(p)) addAll(`SELECT DISTINCT ?f WHERE { ?f ${nt(p)} ?o }`)
  for (const p of targets('targetObjectsOf')) if (nt(p)) addAll(`SELECT DISTINCT ?f WHERE { ?s ${nt(p)} ?f }`)
  for (const n of targets('targetNode')) out.set(key(n), n)
  if (targets('target').length) throw new Error(`shape ${shape.value}: SPARQL-based targets are not supported`)
  return out
}

// prefixes turns a constraint's sh:prefixes declarations into PREFIX lines, after
// rdf, rdfs, owl, xsd and sh, which rdflib (so pySHACL) binds by default and UCO's
// owl.ttl uses undeclared.
function prefixes (store, constraint, select) {
  let out = ''
  for (const [p, ns] of [['rdf', RDF], ['rdfs', RDFS], ['owl', OWL], ['xsd', XSD], ['sh', SH]]) {
    if (!new RegExp(`PREFIX\\s+${p}:`, 'i').test(select)) out += `PREFIX ${p}: <${ns}>\n`
  }
  for (const { object: o } of store.match(constraint, oxigraph.namedNode(SH + 'prefixes'), null, oxigraph.defaultGraph())) {
    for (const { object: d } of store.match(o, oxigraph.namedNode(SH + 'declare'), null, oxigraph.defaultGraph())) {
      const p = store.match(d, oxigraph.namedNode(SH + 'prefix'), null, oxigraph.defaultGraph())[0]?.object.value
      const ns = store.match(d, oxigraph.namedNode(SH + 'namespace'), null, oxigraph.defaultGraph())[0]?.object.value
      if (p !== undefined && ns) out += `PREFIX ${p}: <${ns}>\n`
    }
  }
  return out
}

// bindable rewrites a constraint's query to run once for every focus node: $PATH
// becomes the shape's path, and GROUP BY also groups by $this.
function bindable (select, store, shape) {
  let q = select
  if (/\$PATH\b/.test(q)) {
    const p = store.match(shape, oxigraph.namedNode(SH + 'path'), null, oxigraph.defaultGraph())[0]?.object
    if (!p || p.termType !== 'NamedNode') throw new Error(`shape ${shape.value}: $PATH with a complex path is not supported`)
    q = q.replace(/\$PATH\b/g, `<${p.value}>`)
  }
  return q.replace(/GROUP\s+BY\s+/i, 'GROUP BY $this ')
}

function shortName (iri) {
  const prefixes = [
    ['uco-core:', 'https://ontology.unifiedcyberontology.org/uco/core/'],
    ['uco-action:', 'https://ontology.unifiedcyberontology.org/uco/action/'],
    ['uco-observable:', 'https://ontology.unifiedcyberontology.org/uco/observable/'],
    ['uco-types:', 'https://ontology.unifiedcyberontology.org/uco/types/'],
    ['uco-identity:', 'https://ontology.unifiedcyberontology.org/uco/identity/'],
    ['uco-location:', 'https://ontology.unifiedcyberontology.org/uco/location/'],
    ['uco-tool:', 'https://ontology.unifiedcyberontology.org/uco/tool/'],
    ['case-investigation:', 'https://ontology.caseontology.org/case/investigation/'],
    ['uco-role:', 'https://ontology.unifiedcyberontology.org/uco/role/'],
    ['sh:', SH], ['xsd:', XSD], ['kb:', 'https://evidctl.dev/kb/'], ['evidctl:', 'https://evidctl.dev/ns/custody#']
  ]
  for (const [p, ns] of prefixes) if (iri.startsWith(ns)) return p + iri.slice(ns.length)
  return iri
}

async function main () {
  let opts
  try {
    opts = parseArgs(process.argv.slice(2))
  } catch (err) {
    if (err.message) console.error(`validate.mjs: ${err.message}`)
    console.error('usage: node validate.mjs [--ontology DIR] [--allow-info] [--allow-warnings] FILE...')
    return 2
  }
  let ontology, dir
  try {
    dir = ontologyDir(opts.ontology)
    ontology = loadOntology(dir)
  } catch (err) {
    console.error(`validate.mjs: ${err.message}`)
    return 2
  }
  const validator = coreValidator(ontology)
  let failed = false
  for (const file of opts.files) {
    let data
    try {
      data = await readExport(file)
    } catch (err) {
      console.error(`validate.mjs: ${err.message}`)
      return 2
    }
    const merged = ontology.concat(data)
    let results
    try {
      results = [...conceptCheck(ontology, data), ...await shaclCore(validator, merged), ...sparql(ontology, merged)]
    } catch (err) {
      console.error(`validate.mjs: ${file}: ${err.stack || err.message}`)
      return 2
    }
    const counted = results.filter((r) => !opts.allow.has(r.severity))
    if (counted.length === 0) {
      console.log(`${file}: conforms (${data.length} triples; ontology ${dir}${results.length ? `; ${results.length} allowed results` : ''})`)
      continue
    }
    failed = true
    console.log(`${file}: does not conform: ${counted.length} results`)
    for (const r of counted) {
      console.log(`  ${shortName(r.severity)}: ${shortName(r.focusNode)}${r.path ? ' ' + shortName(r.path) : ''}: ${r.message}${r.value ? ` (value ${r.value})` : ''} [${shortName(r.shape)}]`)
    }
  }
  return failed ? 1 : 0
}

process.exitCode = await main()
