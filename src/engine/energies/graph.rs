//! Energies on arbitrary weighted graphs: Ising (and Max-Cut, its antiferromagnetic form) and
//! QUBO. Graphs are read from the Gset edge-list format (`n m` on the first line, then `i j w`,
//! 1-based) or from JSON (`{"nodes": n, "edges": [[i, j, w], …]}`, 0-based), kept in CSR with
//! both directions, and coloured greedily so that each colour updates at once on the backend.
//! Module `shaders/energies/graph.wgsl`, twin `src/cpu/energies/graph.rs`.

use std::collections::hash_map::{Entry, HashMap};
use std::path::Path;
use std::sync::OnceLock;

use serde_json::json;

use super::{unknown_param, Energy, EnergyExample, EnergyModel, EnergySpec, ParamValue, StateKind};
use crate::cpu::energies::graph::GraphTwin;
use crate::cpu::energies::EnergyTwin;
use crate::engine::field::{Field, Shape, MAX_SITES};
use crate::engine::method::Method;
use crate::error::{IdfError, Result};
use crate::kernels::EnergyModule;

/// The graph energies' registration: built from a graph (a file or a request), not by name.
pub static SPEC: EnergySpec = EnergySpec {
    name: "graph",
    summary: "Ising E = −Σ J_ij s_i s_j − Σ h_i s_i, Max-Cut (J = −w) or QUBO Σ Q_ij x_i x_j on a weighted graph",
    params: &[],
    state: StateKind::GraphNodes,
    methods: &[Method::Metropolis, Method::Anneal],
    new: None,
    example: || EnergyExample {
        model: EnergyModel::Graph(
            GraphEnergy::new(
                GraphKind::MaxCut,
                5,
                vec![(0, 1, 1.0), (1, 2, 2.0), (2, 3, 1.0), (3, 4, 0.5), (4, 0, 1.0), (0, 2, 1.5)],
                vec![0.0, 0.1, 0.0, -0.2, 0.0],
            )
            .expect("a valid graph"),
        ),
        size: None,
        // The energy is linear in each node's value.
        third_derivative: 0.0,
    },
};

/// What a graph's weights mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GraphKind {
    /// Ising spins ±1: `E = −Σ J_ij s_i s_j − Σ h_i s_i`.
    Ising,
    /// Max-Cut: Ising with `J = −w`, so the ground state cuts the most weight.
    MaxCut,
    /// QUBO over x ∈ {0, 1}: `E = Σ Q_ii x_i + Σ_{i<j} Q_ij x_i x_j`.
    Qubo,
}

/// A weighted graph with its energy, in CSR form.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphEnergy {
    /// What the weights mean.
    pub kind: GraphKind,
    /// Nodes.
    pub nodes: usize,
    /// Edges `(i, j, w)` with i < j (0-based), in the order first given; the weights of an edge
    /// given more than once are summed into its first entry.
    pub edges: Vec<(usize, usize, f32)>,
    /// How many edges repeated an earlier one and were summed into it.
    pub merged_edges: usize,
    /// Per-node field h_i (Ising) or Q_ii (QUBO).
    pub diag: Vec<f32>,
    /// Colour of each node; no edge joins two nodes of one colour.
    pub colors: Vec<u32>,
    /// Number of colours.
    pub num_colors: u32,
}

impl GraphEnergy {
    /// A graph from 0-based edges; an edge given twice (in either order) counts once with the sum
    /// of its weights, and [`GraphEnergy::warnings`] says so.
    pub fn new(
        kind: GraphKind,
        nodes: usize,
        edges: Vec<(usize, usize, f32)>,
        diag: Vec<f32>,
    ) -> Result<Self> {
        if nodes == 0 {
            return Err(IdfError::invalid(
                "graph",
                "a graph needs at least one node",
            ));
        }
        if nodes > MAX_SITES {
            return Err(IdfError::invalid(
                "graph",
                format!("{nodes} nodes is over the limit of {MAX_SITES}"),
            ));
        }
        if diag.len() != nodes {
            return Err(IdfError::invalid(
                "graph",
                format!("{} field values for {nodes} nodes", diag.len()),
            ));
        }
        let mut first_entry: HashMap<(usize, usize), usize> = HashMap::with_capacity(edges.len());
        let mut distinct: Vec<(usize, usize, f32)> = Vec::with_capacity(edges.len());
        for &(i, j, w) in &edges {
            if i >= nodes || j >= nodes || i == j || !w.is_finite() {
                return Err(IdfError::invalid(
                    "graph",
                    format!("bad edge ({i}, {j}, {w})"),
                ));
            }
            let key = (i.min(j), i.max(j));
            match first_entry.entry(key) {
                Entry::Occupied(k) => distinct[*k.get()].2 += w,
                Entry::Vacant(slot) => {
                    slot.insert(distinct.len());
                    distinct.push((key.0, key.1, w));
                }
            }
        }
        let merged_edges = edges.len() - distinct.len();
        let edges = distinct;
        let mut neighbours = vec![Vec::new(); nodes];
        for &(i, j, _) in &edges {
            neighbours[i].push(j);
            neighbours[j].push(i);
        }
        // Greedy colouring, highest degree first.
        let mut order: Vec<usize> = (0..nodes).collect();
        order.sort_by_key(|v| std::cmp::Reverse(neighbours[*v].len()));
        let mut colors = vec![u32::MAX; nodes];
        for v in order {
            let used: Vec<u32> = neighbours[v].iter().map(|u| colors[*u]).collect();
            colors[v] = (0..)
                .find(|c| !used.contains(c))
                .expect("some colour is free");
        }
        let num_colors = colors.iter().max().map_or(1, |m| m + 1);
        Ok(GraphEnergy {
            kind,
            nodes,
            edges,
            merged_edges,
            diag,
            colors,
            num_colors,
        })
    }

    /// Reads a Gset edge list (`n m`, then m lines `i j w`, 1-based); errors name the line.
    ///
    /// For QUBO a line `i i w` is the diagonal term Q_ii (the usual extension of the format for
    /// QUBO instances); for Ising and Max-Cut it is refused, since s_i² = 1 makes it a constant.
    /// Repeated lines are summed, as [`GraphEnergy::new`] does for edges.
    pub fn read_gset(path: &Path, kind: GraphKind) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| IdfError::io(path, e))?;
        let err = |line: usize, why: String| IdfError::Config {
            path: path.to_path_buf(),
            message: format!("line {line}: {why}"),
        };
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let (hl, header) = lines
            .next()
            .ok_or_else(|| err(1, "empty file; expected `n m`".into()))?;
        let head: Vec<&str> = header.split_whitespace().collect();
        let [n, m] = head[..] else {
            return Err(err(
                hl + 1,
                format!("expected `n m` (nodes and edges), got `{header}`"),
            ));
        };
        let parse = |line: usize, v: &str, what: &str| -> Result<usize> {
            v.parse()
                .map_err(|_| err(line, format!("{what} `{v}` is not a whole number")))
        };
        let (n, m) = (
            parse(hl + 1, n, "node count")?,
            parse(hl + 1, m, "edge count")?,
        );
        if n > MAX_SITES {
            return Err(err(
                hl + 1,
                format!("{n} nodes is over the limit of {MAX_SITES}"),
            ));
        }
        let mut edges = Vec::new();
        let mut diag = vec![0.0; n];
        let mut lines_read = 0;
        for (k, line) in lines {
            lines_read += 1;
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [i, j, w] = fields[..] else {
                return Err(err(k + 1, format!("expected `i j w`, got `{line}`")));
            };
            let (i, j) = (parse(k + 1, i, "node")?, parse(k + 1, j, "node")?);
            let w: f32 = w
                .parse()
                .map_err(|_| err(k + 1, format!("weight `{w}` is not a number")))?;
            if !w.is_finite() {
                return Err(err(k + 1, format!("weight `{w}` is not finite")));
            }
            if i == 0 || j == 0 || i > n || j > n {
                return Err(err(
                    k + 1,
                    format!("node out of range: nodes are numbered 1 to {n}, got {i} and {j}"),
                ));
            }
            if i != j {
                edges.push((i - 1, j - 1, w));
            } else if kind == GraphKind::Qubo {
                diag[i - 1] += w;
            } else {
                return Err(err(
                    k + 1,
                    format!(
                        "self-loop on node {i}: a diagonal term is only meaningful for a QUBO \
                         (Q_ii x_i); for spins s_i² = 1 makes it a constant"
                    ),
                ));
            }
        }
        if lines_read != m {
            return Err(err(
                hl + 1,
                format!("the header promises {m} edges but the file has {lines_read}"),
            ));
        }
        Self::new(kind, n, edges, diag).map_err(|e| IdfError::Config {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    /// Reads `{"nodes": n, "edges": [[i, j, w], …], "fields": [h…]?}` (0-based).
    pub fn read_json(path: &Path, kind: GraphKind) -> Result<Self> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Doc {
            nodes: usize,
            edges: Vec<(usize, usize, f32)>,
            #[serde(default)]
            fields: Option<Vec<f32>>,
        }
        let text = std::fs::read_to_string(path).map_err(|e| IdfError::io(path, e))?;
        let doc: Doc = serde_json::from_str(&text).map_err(|e| IdfError::Config {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let diag = doc.fields.unwrap_or_else(|| vec![0.0; doc.nodes]);
        Self::new(kind, doc.nodes, doc.edges, diag).map_err(|e| IdfError::Config {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    /// What a user should know about how the graph was read: edges given more than once.
    pub fn warnings(&self) -> Vec<String> {
        if self.merged_edges == 0 {
            return Vec::new();
        }
        vec![format!(
            "repeated edges summed into their first occurrence: {} ({} distinct edges remain)",
            self.merged_edges,
            self.edges.len()
        )]
    }

    /// The coupling of an edge as the energy uses it (Max-Cut negates the weight).
    fn coupling(&self, w: f32) -> f32 {
        if self.kind == GraphKind::MaxCut {
            -w
        } else {
            w
        }
    }

    /// The `energy_params` layout of `shaders/energies/graph.wgsl`.
    pub fn packed(&self) -> Vec<f32> {
        let n = self.nodes;
        let mut adjacency = vec![Vec::new(); n];
        for &(i, j, w) in &self.edges {
            adjacency[i].push((j, self.coupling(w)));
            adjacency[j].push((i, self.coupling(w)));
        }
        let bits = |v: u32| f32::from_bits(v);
        let kind = if self.kind == GraphKind::Qubo { 1 } else { 0 };
        let mut out = vec![bits(kind), bits(n as u32), bits(self.num_colors)];
        let mut acc = 0u32;
        out.push(bits(0));
        for row in &adjacency {
            acc += row.len() as u32;
            out.push(bits(acc));
        }
        out.extend(adjacency.iter().flatten().map(|(j, _)| bits(*j as u32)));
        out.extend(adjacency.iter().flatten().map(|(_, w)| *w));
        out.extend_from_slice(&self.diag);
        out.extend(self.colors.iter().map(|c| bits(*c)));
        out
    }

    /// The energy of one configuration, in f64 (for checks and baselines).
    pub fn energy(&self, x: &[f32]) -> f64 {
        let pair: f64 = self
            .edges
            .iter()
            .map(|&(i, j, w)| self.coupling(w) as f64 * x[i] as f64 * x[j] as f64)
            .sum();
        let single: f64 = self
            .diag
            .iter()
            .zip(x)
            .map(|(d, v)| *d as f64 * *v as f64)
            .sum();
        match self.kind {
            GraphKind::Qubo => pair + single,
            _ => -pair - single,
        }
    }

    /// The weight of the edges a ±1 configuration cuts.
    pub fn cut_value(&self, spins: &[f32]) -> f64 {
        self.edges
            .iter()
            .filter(|&&(i, j, _)| spins[i] != spins[j])
            .map(|&(_, _, w)| w as f64)
            .sum()
    }
}

fn module() -> EnergyModule {
    static MODULE: OnceLock<EnergyModule> = OnceLock::new();
    MODULE
        .get_or_init(|| {
            EnergyModule::new(
                "energies/graph",
                include_str!("../../../shaders/energies/graph.wgsl"),
            )
            .with_local_moves()
        })
        .clone()
}

impl Energy for GraphEnergy {
    fn spec(&self) -> &'static EnergySpec {
        &SPEC
    }

    /// `graph_ising`, `maxcut` or `qubo`.
    fn name(&self) -> &'static str {
        match self.kind {
            GraphKind::Ising => "graph_ising",
            GraphKind::MaxCut => "maxcut",
            GraphKind::Qubo => "qubo",
        }
    }

    fn module(&self) -> EnergyModule {
        module()
    }

    fn twin(&self) -> Option<&'static dyn EnergyTwin> {
        Some(&GraphTwin)
    }

    fn packed_params(&self) -> Vec<f32> {
        self.packed()
    }

    /// None: a graph's weights come with the graph.
    fn params(&self) -> Vec<ParamValue> {
        Vec::new()
    }

    fn set_value(&mut self, name: &str, _value: f32) -> Result<()> {
        Err(unknown_param(self, name))
    }

    fn params_json(&self) -> serde_json::Value {
        json!({"nodes": self.nodes, "edges": self.edges.len(), "colors": self.num_colors})
    }

    /// Twice the largest weighted degree.
    fn curvature_bound(&self) -> f32 {
        let mut degree = vec![0.0f32; self.nodes];
        for &(i, j, w) in &self.edges {
            degree[i] += w.abs();
            degree[j] += w.abs();
        }
        2.0 * degree.iter().fold(0.0, |a: f32, b| a.max(*b))
    }

    fn unsupported_reason(&self, _method: Method) -> &'static str {
        "graph states are discrete (spins or 0/1); use metropolis, anneal or tempering"
    }

    /// One value per node; a size is refused.
    fn shape(&self, chains: usize, size: Option<[usize; 2]>) -> Result<Shape> {
        match size {
            None => Shape::new(chains, 1, 1, self.nodes),
            Some(_) => Err(IdfError::InvalidShape(
                "a graph's size is its number of nodes; it takes no --size or --shape".into(),
            )),
        }
    }

    fn check_shape(&self, shape: Shape) -> Result<()> {
        if shape.sites_per_chain() != self.nodes {
            return Err(IdfError::InvalidShape(format!(
                "the graph has {} nodes but each chain holds {} values",
                self.nodes,
                shape.sites_per_chain()
            )));
        }
        Ok(())
    }

    /// Random spins, or random 0/1 for QUBO.
    fn initial_field(&self, shape: Shape, seed: u32) -> Result<Field> {
        let mut f = Field::random_spins(shape, seed)?;
        if self.kind == GraphKind::Qubo {
            f.data_mut().iter_mut().for_each(|s| *s = (*s + 1.0) / 2.0);
        }
        Ok(f)
    }

    /// The mean degree: a node's gradient sums over its edges.
    fn cost_per_site(&self) -> u64 {
        1 + (2 * self.edges.len()).div_ceil(self.nodes.max(1)) as u64
    }

    /// One colour class of the greedy colouring per Metropolis dispatch.
    fn colors(&self) -> u32 {
        self.num_colors
    }
}
