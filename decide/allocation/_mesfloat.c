/*
 * One run of the Method of Equal Shares in double precision, as a screening step for Add1.
 *
 * Add1 (see mes.py) re-runs the method for per-voter budgets B/n + k, k = 0, 1, 2, ..., until an
 * outcome is exhaustive. Each run here is a plain MES run in doubles that also carries, for every
 * budget and price, a bound on its distance from the exact rational value (a running error
 * analysis: each budget's bound grows with every payment; a price's bound follows from its
 * supporters' bounds and the rounding of the sums behind it). A decision counts as clear only when
 * the float values differ by more than those bounds (and by at least a relative `tol`): then the
 * exact computation takes the same decision. A run with any decision that is not clear is
 * reported "too close to call" and redone in exact arithmetic by the caller, and the outcome that
 * is finally returned is always recomputed exactly.
 *
 * The bounds matter most where money nearly runs out: a budget left after paying almost all of
 * it keeps the absolute rounding error of the payment, which can be large next to what is left.
 *
 * Data: voter groups (identical ballots) with multiplicities; projects with costs; for each
 * project, its supporting groups and each one's satisfaction u (the points under cardinal
 * ballots) and 1/u, in compressed rows (indptr, grp, u, inv_u). Under cost satisfaction u and
 * inv_u are NULL: every supporter's satisfaction is the project's cost, read once per project
 * rather than once per supporter (the hot loops are bound by memory).
 *
 * Our own code; the rule follows Peters, Pierczyński and Skowron (NeurIPS 2021) and the
 * behaviour of pabutools 1.2.3 described in mes.py. The error bounds follow the standard model
 * fl(a op b) = (a op b)(1 + d), |d| <= 2^-53 (Higham, "Accuracy and Stability of Numerical
 * Algorithms", ch. 2-4), with a safety factor on top.
 */
#include <math.h>
#include <stdlib.h>

#define EPS 1.1102230246251565e-16 /* unit roundoff of a double, 2^-53 */
#define SAFE 8.0                   /* safety factor on every error bound */

/* The interface version: mesfloat.py refuses a library built from another version of this
   file (a stale build would be called with the wrong arguments). */
int mes_float_version(void)
{
    return 10;
}

/*
 * The arguments, grouped as mesfloat.py's ctypes.Structure classes mirror them (same fields,
 * same order, same types). One instance is loaded once and passed to every call.
 */
typedef struct {
    int n_groups;
    const double *mult;    /* voters in each group */
    int n_projects;
    const double *cost;    /* each project's cost */
    const int *indptr;     /* project p's supporting groups: grp[indptr[p] .. indptr[p + 1]) */
    const int *grp;
    const double *u;       /* their satisfaction, and its inverse (NULL: cost satisfaction) */
    const double *inv_u;
    const int *rank;       /* each project's place in the tie-break order (lower wins) */
    double *summary;       /* per project, for the first round's prices (mes_float_summary) */
    int cost_sat;          /* 1: cost satisfaction */
    unsigned char *nb;     /* n_projects^2: 1 where two projects share a supporter */
    const long long *num;  /* costs exactly as num/den when pure prices compare exactly, or NULL */
    const long long *den;
} MesInstance;

/* A run: its winners in order (len of them), their prices and error bounds, and each round's
   weight when it was pure (else negative; see mes_float_run). A call writes its run into one
   (len and the arrays), which a later call can then be given to follow or check against, as
   it is. len < 0: no run. */
typedef struct {
    int len;
    int *seq;
    double *price;
    double *err;
    double *voters;
} MesRun;

/* A pure prefix known from an earlier run (mes_float_prefix): its rounds, and what each group
   had paid after each of them. n_rounds == 0: none. */
typedef struct {
    int n_rounds;
    const int *seq;
    const double *price;
    const double *err;
    const double *weight;
    const double *paid;
    const double *paid_err;
} MesPrefix;

/* An interval check's bounds on prices: those proved by an earlier check from the same anchor
   (rounds, lb) and where this check writes its own (lb_out, lb_rounds). */
typedef struct {
    int rounds;
    const double *lb;
    double *lb_out;
    int *lb_rounds;
} MesHints;

/* A voter group as a run sees it; kept together so that one memory access finds all three. */
typedef struct {
    double b; /* budget */
    double e; /* a bound on the budget's error */
    double m; /* voters in the group */
} Group;

/* A supporting group as a price computation sees it, weighted by its voters. */
typedef struct {
    double key; /* budget per unit of satisfaction */
    double mb;  /* voters times budget */
    double mu;  /* voters times satisfaction */
    double me;  /* voters times the budget's error bound */
} Row;

/* Whether money (a sum of n terms, with budget errors summing to budget_err) is not clearly
   above or below cost: then "affordable or not" is too close to call. */
static int money_near(double money, double budget_err, int n, double cost, double tol)
{
    double margin = SAFE * (budget_err + (n + 4) * EPS * (money + cost));
    return fabs(money - cost) <= fmax(tol * cost, margin);
}

/*
 * Whether rival p's price is surely no lower than winner w's, and loses the tie-break if equal,
 * when both are pure prices (nobody paying all they have). A pure price is cost / weight, where
 * the weight is the paying voters' total satisfaction: under cost satisfaction the price is
 * exactly 1 / (paying voters), and weights are counts of voters; under cardinal ballots the
 * weight is voters times points, an integer held exactly in a double, and the comparison is
 * made in integers when the exact costs are given as num / den (else it is not made). A weight
 * below zero means "not pure".
 */
static int rival_loses(int cost_sat, const long long *num, const long long *den, const int *rank,
                       int p, double weight_p, int w, double weight_w)
{
    if (weight_p < 0.0 || weight_w < 0.0)
        return 0;
    if (cost_sat)
        return weight_p == weight_w && rank[w] < rank[p];
    const double limit = 1099511627776.0; /* 2^40: the products below fit in 128 bits */
    if (num == NULL || !(weight_p < limit) || !(weight_w < limit) ||
        weight_p != floor(weight_p) || weight_w != floor(weight_w))
        return 0;
    __int128 rival = (__int128)num[p] * den[w] * (long long)weight_w;
    __int128 winner = (__int128)num[w] * den[p] * (long long)weight_p;
    return rival > winner || (rival == winner && rank[w] < rank[p]);
}

/*
 * Price of project p: the smallest rho with sum_g m_g * min(b_g, rho * u_g) = cost, and in *err
 * a first-order bound on its distance from the exact price. Returns -1 when the supporters
 * cannot afford it. Sets *near when "affordable or not" is not clear. Sets *pure when, clearly,
 * no supporter pays all they have: the exact price is then cost / sum(m_g u_g), and *voters is
 * its weight (see rival_loses): sum(m_g) under cost satisfaction (u == NULL), sum(m_g u_g)
 * otherwise. Each group carries its budget b, the budget's error bound e, and its voters m.
 */
static double price(int p, const int *indptr, const int *grp, const double *u,
                    const double *inv_u, const Group *vg, double cost, double tol, Row *rows,
                    int *near, int *pure, double *voters, double *err)
{
    int n = 0;
    double money = 0.0, total_u = 0.0, budget_err = 0.0, v = 0.0, owed = 0.0, owed_err = 0.0;
    const double u0 = cost, inv_u0 = 1.0 / cost; /* cost satisfaction (u == NULL) */
    for (int j = indptr[p]; j < indptr[p + 1]; j++) {
        const Group *g = &vg[grp[j]];
        double bg = g->b;
        if (bg <= 0.0) {
            /* Exactly zero: see charge(). Below zero only on mes_float_check's low path: such
               a group gives its (negative) budget at any price, so the others owe it. */
            if (bg < 0.0) {
                owed -= g->m * bg;
                owed_err += g->m * g->e;
            }
            continue;
        }
        double m = g->m, me = m * g->e;
        rows[n].key = bg * (u ? inv_u[j] : inv_u0);
        rows[n].mb = m * bg;
        rows[n].mu = m * (u ? u[j] : u0);
        rows[n].me = me;
        money += rows[n].mb;
        total_u += rows[n].mu;
        budget_err += me;
        v += m;
        n++;
    }
    *pure = 0;
    *err = INFINITY;
    cost += owed;
    budget_err += owed_err;
    double sums = (n + 4) * EPS; /* relative rounding of a sum of n positive terms, and more */
    if (money_near(money, budget_err, n, cost, tol))
        *near = 1;
    if (money < cost)
        return -1.0;
    /* The supporters who pay all they have are those whose budget per unit of satisfaction is
       below the price. Start from the price if nobody did, and move every group below it to
       "pays in full" until none is left: the price only rises, and it stops at the exact water
       level (the same fixed point a sort would find, without sorting). */
    double rho = cost / total_u, paid = 0.0, rest_u = total_u, capped_err = owed_err;
    int m = n, capped = 0;
    for (;;) {
        int kept = 0, moved = 0;
        for (int i = 0; i < m; i++) {
            const Row *r = &rows[i];
            if (r->key < rho) {
                paid += r->mb;
                rest_u -= r->mu;
                capped_err += r->me;
                moved = 1;
            } else {
                if (kept != i)
                    rows[kept] = *r;
                kept++;
            }
        }
        m = kept;
        if (!moved)
            break;
        capped = 1;
        if (m == 0 || rest_u <= 0.0 || cost - paid <= 0.0) {
            *near = 1; /* everyone pays all they have: money is about the cost */
            return rho;
        }
        rho = (cost - paid) / rest_u;
    }
    /* One more pass over the groups paying the price: those so near the water level that a
       rounding error could put them on the other side (see below). */
    double near_level = rho * (1.0 + SAFE * (sums + 2.0 * EPS)), edge_err = 0.0;
    for (int i = 0; i < m; i++) {
        const Row *r = &rows[i];
        if (r->mb - near_level * r->mu <= SAFE * r->me) /* voters times (budget - level u) */
            edge_err += r->me;
    }
    /* rho = (cost - paid) / rest_u. Its error comes from the budgets of the groups paying in
       full (only theirs enter the formula), the rounding of the sums and of the cost, and any
       group so near the water level that a rounding error could put it on the other side: such
       a group moves rho by no more than its own budget error does, so it is counted with the
       groups paying in full. Bounds are carried to first order without the safety factor; each
       decision applies it. */
    double num_err = capped_err + edge_err + sums * (cost + paid);
    if (cost - paid <= SAFE * num_err || rest_u <= SAFE * sums * total_u) {
        *near = 1;
        return rho;
    }
    *err = rho * (num_err / (cost - paid) + sums * total_u / rest_u + 2.0 * EPS);
    if (!capped) {
        /* Pure if every group's budget, even at its least, clearly covers the price. */
        double level = (rho + SAFE * *err) * (1.0 + tol);
        int all = 1;
        for (int i = 0; i < m && all; i++)
            if (rows[i].mb - SAFE * rows[i].me <= level * rows[i].mu)
                all = 0;
        if (all) {
            *pure = 1;
            *voters = u ? total_u : v;
        }
    }
    return rho;
}

/*
 * Fill nb (n_projects * n_projects bytes) with 1 where two projects share a supporting group.
 * Returns -1 when memory ran out.
 */
int mes_float_neighbours(const MesInstance *in)
{
    int n_groups = in->n_groups, n_projects = in->n_projects;
    const int *indptr = in->indptr, *grp = in->grp;
    unsigned char *nb = in->nb;
    /* Transpose the supporter lists into each group's projects, then mark every pair. */
    int *start = calloc((size_t)n_groups + 1, sizeof(int));
    int *fill = calloc((size_t)n_groups + 1, sizeof(int));
    int nnz = indptr[n_projects];
    int *proj = malloc(sizeof(int) * (size_t)(nnz ? nnz : 1));
    if (!start || !fill || !proj) {
        free(start);
        free(fill);
        free(proj);
        return -1;
    }
    for (int j = 0; j < nnz; j++)
        start[grp[j] + 1]++;
    for (int g = 0; g < n_groups; g++)
        start[g + 1] += start[g];
    for (int p = 0; p < n_projects; p++)
        for (int j = indptr[p]; j < indptr[p + 1]; j++) {
            int g = grp[j];
            proj[start[g] + fill[g]++] = p;
        }
    for (int k = 0; k < n_projects * n_projects; k++)
        nb[k] = 0;
    for (int g = 0; g < n_groups; g++)
        for (int a = start[g]; a < start[g + 1]; a++)
            for (int b = start[g]; b < start[g + 1]; b++)
                nb[proj[a] * n_projects + proj[b]] = 1;
    free(start);
    free(fill);
    free(proj);
    return 0;
}

/*
 * For each project p, write to summary[3p ... 3p + 2] what start_prices needs: its supporting
 * voters, sum(m u) over its supporting groups (summed in order, as price() sums it) and the
 * largest u.
 */
void mes_float_summary(const MesInstance *in)
{
    const double *mult = in->mult, *cost = in->cost, *u = in->u;
    int n_projects = in->n_projects;
    const int *indptr = in->indptr, *grp = in->grp;
    double *summary = in->summary;
    for (int p = 0; p < n_projects; p++) {
        double voters = 0.0, sum_mu = 0.0, max_u = 0.0;
        for (int j = indptr[p]; j < indptr[p + 1]; j++) {
            double m = mult[grp[j]], uj = u ? u[j] : cost[p];
            voters += m;
            sum_mu += m * uj;
            if (uj > max_u)
                max_u = uj;
        }
        summary[3 * p] = voters;
        summary[3 * p + 1] = sum_mu;
        summary[3 * p + 2] = max_u;
    }
}

/* The working state of one run: budgets with their error bounds, what is known of each
   project's price, and which projects are still in play. */
typedef struct {
    Group *g;       /* each group's budget, its error bound and its voters */
    double *lb;     /* a proven lower bound on each project's exact price now */
    double *est;    /* the last float price of each project ... */
    double *err;    /* ... and a bound on its error (exact prices are est +- err while clean) */
    int *play;      /* the projects still in play (the first n_play entries) */
    int n_play;
    int *pure;      /* from the last pricing: clearly, no supporter paid all they had */
    double *voters; /* ... and then its weight (see rival_loses) */
    char *clean;    /* est is the price now: no supporter has paid since it was computed */
    char *in_play;
    Row *rows;
} State;

static void state_free(State *st)
{
    free(st->g);
    free(st->lb);
    free(st->est);
    free(st->err);
    free(st->play);
    free(st->pure);
    free(st->voters);
    free(st->clean);
    free(st->in_play);
    free(st->rows);
}

/* Every group starts with budget t; every project is in play. Returns -1 out of memory. */
static int state_init(State *st, int n_groups, int n_projects, const int *indptr,
                      const double *mult, double t)
{
    int max_deg = 0;
    for (int p = 0; p < n_projects; p++)
        if (indptr[p + 1] - indptr[p] > max_deg)
            max_deg = indptr[p + 1] - indptr[p];
    size_t np = (size_t)(n_projects ? n_projects : 1);
    size_t ng = (size_t)(n_groups ? n_groups : 1);
    st->g = malloc(sizeof(Group) * ng);
    st->lb = malloc(sizeof(double) * np);
    st->est = calloc(np, sizeof(double));
    st->err = calloc(np, sizeof(double));
    st->play = malloc(sizeof(int) * np);
    st->pure = calloc(np, sizeof(int));
    st->voters = calloc(np, sizeof(double));
    st->clean = calloc(np, 1);
    st->in_play = malloc(np);
    st->rows = malloc(sizeof(Row) * (size_t)(max_deg ? max_deg : 1));
    if (!st->g || !st->lb || !st->est || !st->err || !st->play || !st->pure ||
        !st->voters || !st->clean || !st->in_play || !st->rows) {
        state_free(st);
        return -1;
    }
    for (int g = 0; g < n_groups; g++) {
        st->g[g].b = t;
        st->g[g].e = 2.0 * EPS * t; /* t is the exact starting budget, rounded */
        st->g[g].m = mult[g];
    }
    for (int p = 0; p < n_projects; p++) {
        st->lb[p] = 0.0;
        st->play[p] = p;
        st->in_play[p] = 1;
    }
    st->n_play = n_projects;
    return 0;
}

/*
 * The first round's prices without a pass over any supporter: every budget is t, so a project
 * whose supporters all clearly afford the equal share costs cost / sum(m u), and one whose
 * supporters clearly cannot pay it together leaves play. summary holds, per project, the number
 * of supporting voters, sum(m u) and the largest u (see mes_float_summary). The price and its error
 * bound are those price() finds in that case; a project near either edge is left for price().
 */
static void start_prices(State *st, int n_projects, const int *indptr, const double *cost,
                         const double *summary, int cost_sat, double t, double tol,
                         const unsigned char *nb)
{
    if (summary == NULL || !(t > 0.0))
        return;
    double e = 2.0 * EPS * t;
    for (int p = 0; p < n_projects; p++) {
        int n = indptr[p + 1] - indptr[p];
        double voters = summary[3 * p], sum_mu = summary[3 * p + 1], max_u = summary[3 * p + 2];
        if (n == 0 || !(sum_mu > 0.0))
            continue;
        double money = voters * t;
        if (money_near(money, voters * e, n, cost[p], tol))
            continue;
        if (money < cost[p]) { /* clearly unaffordable now, so for ever */
            st->in_play[p] = 0;
            for (int k = 0; k < st->n_play; k++)
                if (st->play[k] == p) {
                    st->play[k] = st->play[--st->n_play];
                    break;
                }
            continue;
        }
        double sums = (n + 4) * EPS, rho = cost[p] / sum_mu;
        double near_level = rho * (1.0 + SAFE * (sums + 2.0 * EPS));
        if (t - near_level * max_u <= SAFE * e)
            continue; /* some supporter may pay all they have: price() decides */
        double err = rho * (2.0 * sums + 2.0 * EPS);
        double level = (rho + SAFE * err) * (1.0 + tol);
        st->est[p] = rho;
        st->err[p] = err;
        st->lb[p] = rho - SAFE * err;
        st->pure[p] = t - SAFE * e > level * max_u;
        st->voters[p] = cost_sat ? voters : sum_mu; /* the weight: see rival_loses */
        st->clean[p] = nb != NULL;
    }
}

/* Funded project s leaves play; the projects sharing a supporter with it have new prices. */
static void leave_play(State *st, int s, int n_projects, const unsigned char *nb)
{
    st->in_play[s] = 0;
    for (int k = 0; k < st->n_play; k++)
        if (st->play[k] == s) {
            st->play[k] = st->play[--st->n_play];
            break;
        }
    if (nb != NULL) {
        const unsigned char *row = nb + (size_t)s * (size_t)n_projects;
        for (int k = 0; k < st->n_play; k++)
            if (row[st->play[k]])
                st->clean[st->play[k]] = 0;
    }
}

/* In a round of a pure prefix, where s's price is pure, at most theta, with weight `weight`:
   whether every other project in play is shown dearer from what is already known of its price
   (its lower bound, or its own pure price when no supporter has paid since it was found, which
   loses to s exactly: rival_loses). Then s wins this round without a look at any budget. */
static int still_wins(const State *st, int s, double theta, double weight, int cost_sat,
                      const long long *num, const long long *den, const int *rank)
{
    for (int k = 0; k < st->n_play; k++) {
        int p = st->play[k];
        if (p == s || st->lb[p] > theta)
            continue;
        if (st->clean[p] && rival_loses(cost_sat, num, den, rank, p,
                                        st->pure[p] ? st->voters[p] : -1.0, s, weight))
            continue;
        return 0;
    }
    return 1;
}

/* Fund s in a round of a pure prefix at its known price (error err, weight: see rival_loses),
   without a look at any budget: the run's outputs for round r, and s leaves play. */
static void fund_pure(State *st, int s, double price, double err, double weight, int r,
                      int n_projects, const unsigned char *nb, int *seq, double *price_out,
                      double *err_out, double *voters_out)
{
    st->est[s] = price;
    st->err[s] = err;
    st->pure[s] = 1;
    st->voters[s] = weight;
    price_out[r] = price;
    err_out[r] = err;
    voters_out[r] = weight;
    leave_play(st, s, n_projects, nb);
    seq[r] = s;
}

/* The budgets from starting budget t after the first r rounds of a pure prefix: t less what
   each group has paid (mes_float_prefix). Groups that paid nothing keep t as state_init set it. */
static void prefix_budgets(Group *vg, int n_groups, int r, const double *paid,
                           const double *paid_err, double t)
{
    if (r == 0)
        return;
    const double *p = paid + (size_t)(r - 1) * (size_t)n_groups;
    const double *pe = paid_err + (size_t)(r - 1) * (size_t)n_groups;
    for (int g = 0; g < n_groups; g++)
        if (p[g] > 0.0) {
            vg[g].b = t - p[g];
            vg[g].e = 2.0 * EPS * t + pe[g] + EPS * fabs(vg[g].b);
        }
}

/*
 * A supporting group with money left pays share (share_err: the price's error bound times u)
 * or, when short of it, all it has, and is then left with exactly nothing. Sets *close when
 * which of the two is not clear. Returns 0 if it paid all it had, 2 if it clearly paid the
 * share, 1 if it paid the share but only just.
 */
static int pay(Group *g, double share, double share_err, double tol, int *close)
{
    share_err += 4.0 * EPS * share;
    double gap = fabs(g->b - share), slack = SAFE * (g->e + share_err);
    if (gap <= tol * share || gap <= slack)
        *close = 1;
    if (g->b <= share) {
        g->b = 0.0;
        g->e = 0.0;
        return 0;
    }
    int clearly = g->b - share > slack;
    g->b -= share;
    g->e += share_err + EPS * g->b;
    return clearly ? 2 : 1;
}

/*
 * Fund project s at price rho (error bound rho_err): each supporter pays min(budget, rho * u);
 * u0 is the project's cost (cost satisfaction: u is NULL).
 * Returns 1 when some budget was not clearly above or below its share (whether anything is
 * left, and so whether the voter still counts as a supporter later, is then too close to call),
 * else 0. A voter clearly short of the share is left with exactly nothing.
 */
static int charge(State *st, int s, double rho, double rho_err, int n_projects,
                  const int *indptr, const int *grp, const double *u, double u0, double tol,
                  const unsigned char *nb)
{
    int close = 0;
    for (int j = indptr[s]; j < indptr[s + 1]; j++) {
        Group *g = &st->g[grp[j]];
        if (g->b <= 0.0)
            continue; /* spent out, exactly: pays nothing */
        double uj = u ? u[j] : u0;
        pay(g, rho * uj, rho_err * uj, tol, &close);
    }
    leave_play(st, s, n_projects, nb);
    return close;
}

/* Price p now into st (est, err, lb, pure); returns the price or -1 (unaffordable, then p
   leaves play). Sets *near as price() does. */
static double reprice(State *st, int p, const int *indptr, const int *grp, const double *u,
                      const double *inv_u, const double *cost, double tol, int *near,
                      const unsigned char *nb)
{
    double err = 0.0;
    double rho = price(p, indptr, grp, u, inv_u, st->g, cost[p], tol, st->rows, near,
                       &st->pure[p], &st->voters[p], &err);
    if (rho < 0.0) {
        st->in_play[p] = 0;
        return rho;
    }
    st->est[p] = rho;
    st->err[p] = err;
    if (rho - SAFE * err > st->lb[p])
        st->lb[p] = rho - SAFE * err;
    st->clean[p] = nb != NULL;
    return rho;
}

/*
 * A cheap proof that project p's exact price is above theta, without finding the price.
 * F(x) = sum_g m_g * min(b_g, x * u_g) is the money the supporters give at price x; the price is
 * the least x with F(x) = cost. If F(theta) is clearly below the cost, the price is above theta,
 * and as F is concave its tangent at theta gives a better lower bound: theta + (cost -
 * F(theta)) / F'(theta+). The slope counts every group that might give more than theta * u
 * (a larger slope only weakens the bound). Returns that bound (infinity when no supporter can
 * give more), or -1 when the price may be theta or less.
 */
static double price_above(int p, const int *indptr, const int *grp, const double *u,
                          const Group *vg, double cost, double theta, const double *dv,
                          double *fall)
{
    int n = 0;
    double given = 0.0, slope = 0.0, budget_err = 0.0, gain = 0.0;
    for (int j = indptr[p]; j < indptr[p + 1]; j++) {
        const Group *g = &vg[grp[j]];
        double uj = u ? u[j] : cost;
        double cap = theta * uj, bg = g->b, m = g->m;
        if (bg < cap) {
            given += m * bg;
            if (dv)
                gain += m * dv[grp[j]];
            if (bg + g->e + 4.0 * EPS * cap >= cap)
                slope += m * uj;
        } else {
            given += m * cap;
            slope += m * uj;
        }
        budget_err += m * g->e;
        n++;
    }
    double sums = (n + 4) * EPS;
    double margin = SAFE * (budget_err + sums * (given + cost));
    if (fall)
        *fall = slope > 0.0 ? gain / slope : 0.0;
    if (cost - given <= margin)
        return -1.0;
    if (slope <= 0.0)
        return INFINITY;
    return theta + (cost - given - margin) / (slope * (1.0 + SAFE * sums));
}

/*
 * The locals that mes_float_run and mes_float_check both read their arguments into: the
 * instance's fields, where the run is written (out), and the run it follows or is checked
 * against (check_*, from `given`; check_len < 0: none).
 */
#define RUN_LOCALS(in, out, given)                                                            \
    int n_groups = (in)->n_groups, n_projects = (in)->n_projects, cost_sat = (in)->cost_sat;  \
    const double *mult = (in)->mult, *cost = (in)->cost, *u = (in)->u, *inv_u = (in)->inv_u; \
    const int *indptr = (in)->indptr, *grp = (in)->grp, *rank = (in)->rank;                   \
    const double *summary = (in)->summary;                                                    \
    const unsigned char *nb = (in)->nb;                                                       \
    const long long *num = (in)->num, *den = (in)->den;                                       \
    int *seq = (out)->seq, *seq_len = &(out)->len;                                            \
    double *price_out = (out)->price, *err_out = (out)->err, *voters_out = (out)->voters;     \
    int check_len = (given)->len;                                                             \
    const int *check_seq = (given)->seq;                                                      \
    const double *check_price = (given)->price, *check_err = (given)->err;                    \
    const double *check_voters = (given)->voters

/*
 * Run MES with per-voter budget t. Writes the funded projects, in order, to out->seq and their
 * number to out->len, and for each round the winner's float price to out->price, its error bound
 * to out->err and, when that price is pure (see below), its weight (see rival_loses) to
 * out->voters (else -1).
 *
 * Returns 0 when every decision was clear, 1 when some was too close to call, 2 when the
 * interval check below failed, -1 when memory ran out.
 *
 * A project that no supporter pays in full has a pure price, cost / weight: with cost
 * satisfaction (cost_sat) rho = 1/N per unit of cost for its N paying voters, with cardinal
 * ballots cost / (voters times points). Two pure prices are compared exactly (rival_loses; for
 * cardinal ballots only when num and den give the costs exactly, else they are NULL), and an
 * exact tie goes to the lower rank (the tie-break order), as in the exact rule. Any other pair
 * of prices not clearly apart makes the run "too close to call".
 *
 * Interval check (when check_len >= 0): check_seq, check_price, check_err and check_voters
 * describe a run at a smaller budget t0 (check_len rounds). For a fixed order of funding, every
 * budget can only grow with the starting budget and every price can only fall, so if this run
 * funds the same projects in the same order and, in every round, every other project still in
 * play clearly costs more here than the winner cost at t0, then every budget between t0 and t
 * gives that same run.
 */
int mes_float_run(const MesInstance *in, double t, double tol, MesRun *out,
                  const MesRun *check, const MesPrefix *prefix)
{
    RUN_LOCALS(in, out, check);
    int n_prefix = prefix->n_rounds;
    const int *prefix_seq = prefix->seq;
    const double *prefix_price = prefix->price, *prefix_err = prefix->err;
    const double *prefix_weight = prefix->weight, *paid = prefix->paid;
    const double *paid_err = prefix->paid_err;
    State st;
    if (state_init(&st, n_groups, n_projects, indptr, mult, t))
        return -1;
    start_prices(&st, n_projects, indptr, cost, summary, cost_sat, t, tol, nb);
    double *lb = st.lb, *est = st.est, *err = st.err;
    int *order = st.play, *pure = st.pure;
    double *voters = st.voters;
    int len = 0, uncertain = 0, failed = 0;
    /* A pure prefix known from an earlier run at a budget no larger (mes_float_prefix; the
       caller passes one only then, so its rounds are pure here too): its winners win here as
       long as every rival is shown dearer by what is known of its price already, and the
       budgets after them are set at once. */
    for (; check_len < 0 && len < n_prefix; len++) {
        int s = prefix_seq[len];
        if (!st.in_play[s])
            break;
        double theta = (prefix_price[len] + SAFE * prefix_err[len]) * (1.0 + tol);
        if (!still_wins(&st, s, theta, prefix_weight[len], cost_sat, num, den, rank))
            break;
        fund_pure(&st, s, prefix_price[len], prefix_err[len], prefix_weight[len], len,
                  n_projects, nb, seq, price_out, err_out, voters_out);
    }
    prefix_budgets(st.g, n_groups, len, paid, paid_err, t);
    while (st.n_play > 0) {
        int n_alive = st.n_play;
        /* Projects in play by their proven lower bound (prices only rise). The list is nearly
           sorted from the last round, so insertion sort is cheap. */
        for (int i = 1; i < n_alive; i++) {
            int p = order[i], j = i - 1;
            while (j >= 0 && lb[order[j]] > lb[p]) {
                order[j + 1] = order[j];
                j--;
            }
            order[j + 1] = p;
        }
        /* In an interval check, every project below the earlier winner's price must be seen. */
        double floor_price = -1.0;
        if (check_len >= 0 && len < check_len)
            floor_price = (check_price[len] + SAFE * check_err[len]) * (1.0 + tol);
        double best = INFINITY, best_up = INFINITY; /* the best float price, and its upper bound */
        int best_p = -1, kept = 0;
        int i = 0;
        for (; i < n_alive; i++) {
            int p = order[i];
            if (best_p >= 0 && lb[p] > best_up * (1.0 + tol) && lb[p] > floor_price)
                break;
            if (!st.clean[p]) {
                int near = 0;
                double rho = reprice(&st, p, indptr, grp, u, inv_u, cost, tol, &near, nb);
                if (near)
                    uncertain = 1;
                if (rho < 0.0)
                    continue; /* unaffordable now, so for ever: drop it */
            }
            order[kept++] = p;
            if (est[p] < best) {
                best = est[p];
                best_up = est[p] + SAFE * err[p];
                best_p = p;
            }
        }
        int looked = kept;
        /* Keep the projects not looked at this round. */
        for (; i < n_alive; i++)
            order[kept++] = order[i];
        st.n_play = kept;
        if (best_p < 0)
            break;
        /* Every rival not clearly dearer than the best must be compared with it exactly, as
           pure prices (rival_loses); an exact tie goes to the tie-break. */
        for (int k = 0; k < looked; k++) {
            int p = order[k];
            if (p == best_p || lb[p] > best_up * (1.0 + tol))
                continue;
            double wp = pure[p] ? voters[p] : -1.0, wb = pure[best_p] ? voters[best_p] : -1.0;
            if (rival_loses(cost_sat, num, den, rank, p, wp, best_p, wb))
                continue;
            if (rival_loses(cost_sat, num, den, rank, best_p, wb, p, wp))
                best_p = p;
            else
                uncertain = 1;
        }
        if (check_len >= 0 && !failed) {
            if (len >= check_len || check_seq[len] != best_p) {
                failed = 1;
            } else {
                /* Every rival must clearly cost more here than the winner did at t0. A rival
                   whose pure price here is exactly no lower than the winner's pure price at t0
                   costs at least that throughout, and loses a tie (rival_loses). */
                for (int k = 0; k < looked && !failed; k++) {
                    int p = order[k];
                    if (p == best_p || lb[p] > floor_price)
                        continue;
                    if (!rival_loses(cost_sat, num, den, rank, p, pure[p] ? voters[p] : -1.0,
                                     best_p, check_voters[len]))
                        failed = 1;
                }
            }
        }
        price_out[len] = est[best_p];
        err_out[len] = err[best_p];
        voters_out[len] = pure[best_p] ? voters[best_p] : -1.0;
        if (charge(&st, best_p, est[best_p], err[best_p], n_projects, indptr, grp, u,
                   cost[best_p], tol, nb))
            uncertain = 1;
        seq[len++] = best_p;
    }
    if (check_len >= 0 && len != check_len)
        failed = 1;
    *seq_len = len;
    state_free(&st);
    if (uncertain)
        return 1;
    return failed ? 2 : 0;
}

/*
 * The interval check of mes_float_run alone, following the order of the run at t0 (the
 * anchor) instead of searching for winners, with a proof that follows how prices move
 * between t0 and t rather than only "every rival here is dearer than the winner was at t0".
 *
 * Why it holds. Let F(b, x) = sum_g m_g * min(b_g, x * u_g): the money a project's supporters
 * give at price x (a negative budget gives itself at any price). F is concave in (b, x)
 * together, so a project's price (the least x with F = cost) is a convex function of the
 * budgets, and it never rises when budgets grow. For starting budgets k in [t0, t] and the
 * anchor's order of funding, the real budgets only grow with k, and two paths of budgets
 * bracket them:
 *
 * - a low path L(k) <= the real budgets, concave in k, equal to the anchor's run at t0: a
 *   supporter of the winner who pays only the share at t0 keeps "budget - price * u" (concave:
 *   a concave budget less a convex price; it may go below zero at t, which only makes it
 *   lower), one who pays all at t0 keeps nothing. The winner's price on L is convex in k, so
 *   it lies below the chord from the anchor's price at t0 to its price on L at t, and the real
 *   price lies below that.
 * - a high path H(k) >= the real budgets, concave and non-decreasing in k, equal to the real
 *   budgets at t: a supporter who clearly pays only the share at both ends keeps "budget -
 *   price * u" (which only grows with k, so it stays positive); any other keeps the constant
 *   it has at t (budgets only grow with k), or 0 if spent out. A rival's price on H is convex
 *   in k, so it lies above its tangent at t, and the real price lies above that: price(t) +
 *   slope * (t - k), where slope is a lower bound on how fast the price falls as k grows, from
 *   lower bounds on every budget's derivative along H (dv, carried from round to round).
 *
 * The chord and the tangent are straight lines, so a rival that is dearer than the winner at
 * both ends is dearer throughout. A rival dearer at t than the winner was at t0 needs no slope
 * (prices only fall with k). The derivative of a price when budgets move by d is
 * -sum_{pays all} m d / sum_{pays the share} m u; counting a group whose side is not clear as
 * paying the share only makes the slope smaller, which keeps the bound valid.
 *
 * *reach receives a guess for the caller, never needed for correctness: when the proof holds,
 * the starting budget beyond t where the nearest rival's line would meet the winner's (or where
 * an unaffordable project's money would reach its cost), infinity when none is in sight; when
 * it fails, where the first failing rival's line meets the winner's between t0 and t (or where
 * its money reaches its cost), NaN when there is no such point.
 *
 * Returns 0 when every budget between t0 and t is proved to give that run (seq, price_out,
 * err_out and voters_out then describe the run at t), 1 when a decision was too close to call,
 * 3 when the proof failed (the outputs are then incomplete), -1 when memory ran out.
 */

/* A lower bound on how fast project p's price falls per unit of starting budget, at the budgets
   vg whose derivatives (lower bounds) are dv, the price being at least rho_lo (u0: see
   charge()). */
static double price_slope(int p, const int *indptr, const int *grp, const double *u,
                          double u0, const Group *vg, const double *dv, double rho_lo)
{
    double num = 0.0, den = 0.0;
    for (int j = indptr[p]; j < indptr[p + 1]; j++) {
        int g = grp[j];
        const Group *v = &vg[g];
        if (v->b <= 0.0)
            continue; /* spent out: gives nothing, whatever the price */
        double uj = u ? u[j] : u0;
        if (v->b + SAFE * v->e < rho_lo * uj * (1.0 - 4.0 * EPS))
            num += v->m * dv[g]; /* clearly pays all: gives more as the budget grows */
        else
            den += v->m * uj;
    }
    if (!(num > 0.0) || !(den > 0.0))
        return 0.0;
    return num / den * (1.0 - 1e-6); /* sums of positive terms: far inside this margin */
}

/* What project p's supporters hold together at budgets vg. */
static double money_of(int p, const int *indptr, const int *grp, const Group *vg)
{
    double money = 0.0;
    for (int j = indptr[p]; j < indptr[p + 1]; j++)
        money += vg[grp[j]].m * vg[grp[j]].b;
    return money;
}

/*
 * One round of mes_float_check for the winner s, on every path at once, in one pass over its
 * supporters (see the comment above mes_float_check):
 * - la, the anchor's run at t0: each supporter pays the anchor's price ra (error ea) or all
 *   they have, as in charge();
 * - lo, the low path at t: a supporter who paid only the share at t0 keeps "budget - rb * u"
 *   (the low path's price at t; it may go below zero), one who paid all at t0 keeps nothing;
 * - st, the real run at t, at the price st->est[s], as in charge();
 * - dv, the high path's derivatives at t: a supporter who clearly pays only the share at both
 *   ends gains u times ws (a lower bound on how fast the winner's price falls); any other
 *   keeps its budget at t as a constant, so its derivative is 0.
 * Returns 2 if a payment at t0 was too close to call (the anchor was not a clear run), 1 if one
 * at t was, else 0.
 */
static int charge_paths(State *st, Group *la, Group *lo, double *dv, int s, double ra,
                        double ea, double rb, double eb, double ws, int n_projects,
                        const int *indptr, const int *grp, const double *u, double u0,
                        double tol, const unsigned char *nb, int *same)
{
    int close = 0;
    double rho = st->est[s], rho_err = st->err[s];
    for (int j = indptr[s]; j < indptr[s + 1]; j++) {
        int gi = grp[j];
        Group *a = &la[gi], *g = &st->g[gi];
        double uj = u ? u[j] : u0;
        int shares_at_t0 = 0;
        if (a->b > 0.0) {
            double sa = ra * uj, sa_err = ea * uj + 4.0 * EPS * sa;
            double gap = fabs(a->b - sa);
            if (gap <= tol * sa || gap <= SAFE * (a->e + sa_err))
                return 2;
            Group *l = &lo[gi];
            if (a->b <= sa) {
                a->b = a->e = 0.0;
                l->b = l->e = 0.0;
            } else {
                double sb = rb * uj, sb_err = eb * uj + 4.0 * EPS * sb;
                shares_at_t0 = 1;
                a->b -= sa;
                a->e += sa_err + EPS * a->b;
                l->b -= sb;
                l->e += sb_err + EPS * fabs(l->b);
            }
        }
        if (g->b <= 0.0) {
            dv[gi] = 0.0;
            if (lo[gi].b != g->b || lo[gi].e != g->e)
                *same = 0;
            continue; /* spent out, exactly: pays nothing */
        }
        if (pay(g, rho * uj, rho_err * uj, tol, &close) == 2 && shares_at_t0)
            dv[gi] += ws * uj * (1.0 - 1e-6);
        else
            dv[gi] = 0.0;
        /* Does the low path at t still hold the real budgets at t? */
        if (*same && (lo[gi].b != g->b || lo[gi].e != g->e))
            *same = 0;
    }
    leave_play(st, s, n_projects, nb);
    return close;
}

/*
 * What each group has paid after each of the first n_rounds rounds of a run whose rounds are all
 * pure (no supporter pays all they have: see mes_float_run): then every supporter pays price * u
 * whatever the starting budget, so after r + 1 rounds every budget is the starting budget less
 * paid[r * n_groups + g], with paid_err[...] a bound on that sum's rounding. seq, price and err
 * are the rounds' winners, prices and their error bounds. Returns -1 when memory ran out.
 */
int mes_float_prefix(const MesInstance *in, int n_rounds, const MesRun *run, double *paid,
                     double *paid_err)
{
    int n_groups = in->n_groups;
    const double *cost = in->cost, *u = in->u;
    const int *indptr = in->indptr, *grp = in->grp;
    const int *seq = run->seq;
    const double *price = run->price, *err = run->err;
    double *sum = calloc((size_t)(n_groups ? n_groups : 1), sizeof(double));
    double *sum_err = calloc((size_t)(n_groups ? n_groups : 1), sizeof(double));
    if (!sum || !sum_err) {
        free(sum);
        free(sum_err);
        return -1;
    }
    for (int r = 0; r < n_rounds; r++) {
        int s = seq[r];
        for (int j = indptr[s]; j < indptr[s + 1]; j++) {
            int g = grp[j];
            double uj = u ? u[j] : cost[s], share = price[r] * uj;
            sum[g] += share;
            sum_err[g] += err[r] * uj + 4.0 * EPS * share + EPS * sum[g];
        }
        for (int g = 0; g < n_groups; g++) {
            paid[(size_t)r * (size_t)n_groups + (size_t)g] = sum[g];
            paid_err[(size_t)r * (size_t)n_groups + (size_t)g] = sum_err[g];
        }
    }
    free(sum);
    free(sum_err);
    return 0;
}

/* Round r of mes_float_check: raise each project's lower bound to what an earlier check of the
   same anchor's order, at a larger budget, proved for that round (prices are only higher at a
   smaller budget, the earlier rounds' winners being the same). */
static void take_hints(State *st, int n_projects, int r, int hint_rounds, const double *hint_lb)
{
    if (r >= hint_rounds)
        return;
    const double *h = hint_lb + (size_t)r * (size_t)n_projects;
    for (int k = 0; k < st->n_play; k++) {
        int p = st->play[k];
        if (h[p] > st->lb[p])
            st->lb[p] = h[p];
    }
}

/* ... and the lower bounds known at the end of round r, for a later check at a smaller budget. */
static void give_hints(const State *st, int n_projects, int r, double *lb_out, int *lb_rounds)
{
    double *h = lb_out + (size_t)r * (size_t)n_projects;
    for (int p = 0; p < n_projects; p++)
        h[p] = st->lb[p];
    *lb_rounds = r + 1;
}

/* Every path of mes_float_check after the first r rounds of a pure prefix (see
   mes_float_prefix): budgets t (and t0) less what each group has paid; the low path at t is
   the real run; derivatives stay 1 (pure rounds move no budget's slope). */
static void after_prefix(State *st, Group *la, Group *lo, int n_groups, int r,
                         const double *paid, const double *paid_err, double t0, double t)
{
    prefix_budgets(st->g, n_groups, r, paid, paid_err, t);
    prefix_budgets(la, n_groups, r, paid, paid_err, t0);
    for (int g = 0; g < n_groups; g++)
        lo[g] = st->g[g];
}

int mes_float_check(const MesInstance *in, double t0, double t, double tol,
                    MesRun *out, const MesRun *anchor, double *reach,
                    const MesPrefix *prefix, const MesHints *hints)
{
    RUN_LOCALS(in, out, anchor);
    int n_prefix = prefix->n_rounds;
    const double *paid = prefix->paid, *paid_err = prefix->paid_err;
    int hint_rounds = hints->rounds;
    const double *hint_lb = hints->lb;
    double *lb_out = hints->lb_out;
    int *lb_rounds = hints->lb_rounds;
    State st;
    *reach = NAN;
    if (state_init(&st, n_groups, n_projects, indptr, mult, t))
        return -1;
    size_t ng = (size_t)(n_groups ? n_groups : 1), np = (size_t)(n_projects ? n_projects : 1);
    Group *la = malloc(sizeof(Group) * ng), *lo = malloc(sizeof(Group) * ng);
    double *dv = malloc(sizeof(double) * ng), *slope = malloc(sizeof(double) * np);
    char *has_slope = calloc(np, 1);
    int uncertain = 0, failed = 0, len = 0, same = 1;
    if (!la || !lo || !dv || !slope || !has_slope) {
        failed = -1;
        goto done;
    }
    for (int g = 0; g < n_groups; g++) {
        la[g].b = t0;
        la[g].e = 2.0 * EPS * t0;
        la[g].m = mult[g];
        lo[g] = st.g[g];
        dv[g] = 1.0;
    }
    start_prices(&st, n_projects, indptr, cost, summary, cost_sat, t, tol, nb);
    double *lb = st.lb;
    /* k runs over [t0, t]; the tangent's reach, rounded down. */
    double width = (t - t0) * (1.0 - 1e-9);
    /* Guesses for the caller: where the first failing rival's line meets the winner's chord
       (within), and where the nearest line would meet it beyond t (ahead). */
    double within = NAN, ahead = INFINITY;
    /* The anchor's first n_prefix rounds were pure: every budget is then the starting budget
       less a fixed sum (mes_float_prefix), and the winners' prices are the anchor's. Those
       rounds are followed without touching a budget as long as every rival is shown dearer by
       what is known of its price already; the budgets are set when one is not, or at the end of
       the prefix, and the rounds go on as usual from there. */
    int virtual_rounds = n_prefix > 0 && n_prefix <= check_len;
    *lb_rounds = 0;
    for (; virtual_rounds && len < n_prefix && !failed; len++) {
        int s = check_seq[len];
        if (!st.in_play[s] || check_voters[len] < 0.0) {
            failed = 1;
            break;
        }
        take_hints(&st, n_projects, len, hint_rounds, hint_lb);
        double theta = (check_price[len] + SAFE * check_err[len]) * (1.0 + tol);
        if (!still_wins(&st, s, theta, check_voters[len], cost_sat, num, den, rank))
            break;
        give_hints(&st, n_projects, len, lb_out, lb_rounds);
        fund_pure(&st, s, check_price[len], check_err[len], check_voters[len], len, n_projects,
                  nb, seq, price_out, err_out, voters_out);
    }
    if (virtual_rounds && !failed)
        after_prefix(&st, la, lo, n_groups, len, paid, paid_err, t0, t);
    for (; len < check_len && !failed; len++) {
        int s = check_seq[len], near = 0;
        if (!st.in_play[s] ||
            (!st.clean[s] && reprice(&st, s, indptr, grp, u, inv_u, cost, tol, &near, nb) < 0.0)) {
            failed = 1;
            break;
        }
        if (near)
            uncertain = 1;
        /* The winner's price on the low path: at t0 the anchor's, at t priced here. The chord
           between them bounds it in between. */
        int pb = 0, near_low = 0;
        double vb = 0.0, eb = st.err[s], ra = check_price[len], ea = check_err[len];
        double rb = st.est[s]; /* while the low path at t is the real run, so is its price */
        if (!same)
            rb = price(s, indptr, grp, u, inv_u, lo, cost[s], tol, st.rows, &near_low, &pb, &vb,
                       &eb);
        if (rb < 0.0 || near_low || !isfinite(eb)) {
            failed = 1;
            break;
        }
        double top_a = (ra + SAFE * ea) * (1.0 + tol), top_b = (rb + SAFE * eb) * (1.0 + tol);
        /* The flat test: a rival dearer here than the winner was at t0 (prices only fall). */
        double theta = top_a;
        if (lb[s] > theta) { /* prices cannot rise with the budget: only rounding does this */
            failed = 1;
            break;
        }
        take_hints(&st, n_projects, len, hint_rounds, hint_lb);
        for (int k = 0; k < st.n_play && !failed; k++) {
            int p = st.play[k];
            if (p == s)
                continue;
            if (lb[p] > theta)
                continue;
            if (!st.clean[p]) {
                has_slope[p] = 0;
                /* First try the price p had when last priced: it can only have risen since,
                   and a bound above it lasts for more rounds than one just above theta. */
                double fall = 0.0, probe = fmax(theta, st.est[p]);
                double above = price_above(p, indptr, grp, u, st.g, cost[p], probe, dv, &fall);
                if (above < 0.0 && probe > theta)
                    above = price_above(p, indptr, grp, u, st.g, cost[p], theta, dv, &fall);
                if (above >= 0.0) {
                    if (above > lb[p])
                        lb[p] = above;
                    /* A guess: where this rival's bound, falling as fast as its price seems
                       to, would meet the winner's line beyond t. */
                    double closing = fall - (top_a - top_b) / (t - t0);
                    if (closing > 0.0 && isfinite(lb[p]))
                        ahead = fmin(ahead, t + (lb[p] - top_b) / closing);
                    continue;
                }
                near = 0;
                double rho = reprice(&st, p, indptr, grp, u, inv_u, cost, tol, &near, nb);
                if (near)
                    uncertain = 1;
                if (rho < 0.0) { /* unaffordable now, so for ever */
                    st.play[k--] = st.play[--st.n_play];
                    continue;
                }
                if (lb[p] > theta)
                    continue;
            }
            /* The tangent at t: the rival's price falls no faster than its slope. Both lines
               are straight, so the rival is dearer throughout when it is at both ends. */
            if (!has_slope[p]) {
                slope[p] = st.pure[p] ? 0.0
                                      : price_slope(p, indptr, grp, u, cost[p], st.g, dv,
                                                    st.est[p] - SAFE * st.err[p]);
                has_slope[p] = st.clean[p];
            }
            double gap_t = lb[p] - top_b, gap_t0 = lb[p] + slope[p] * width - top_a;
            if (gap_t > 0.0 && gap_t0 > 0.0) {
                if (gap_t0 > gap_t) /* the lines would meet beyond t */
                    ahead = fmin(ahead, t + (t - t0) * gap_t / (gap_t0 - gap_t));
                continue;
            }
            /* Not clearly dearer than the winner: only a pure price exactly no lower than the
               winner's at t0, that loses a tie, keeps the order (rival_loses). */
            if (rival_loses(cost_sat, num, den, rank, p, st.pure[p] ? st.voters[p] : -1.0, s,
                            check_voters[len]))
                continue;
            failed = 1;
            /* A guess for the caller: where the lines meet, if they do in between; else where
               the rival's money, straight between its values at t0 and t, meets its cost
               (a rival that cannot afford itself at t0 has no price there to meet). */
            if (gap_t0 > 0.0) {
                within = t0 + (t - t0) * gap_t0 / (gap_t0 - gap_t);
            } else {
                double m0 = money_of(p, indptr, grp, la), m1 = money_of(p, indptr, grp, st.g);
                if (m0 < cost[p] && m1 > m0)
                    within = t0 + (t - t0) * (cost[p] - m0) / (m1 - m0);
            }
        }
        if (!uncertain) /* bounds found on a state that rounding may have misled are not kept */
            give_hints(&st, n_projects, len, lb_out, lb_rounds);
        if (failed)
            break;
        /* How fast the winner's price falls at t, at least (for the high path's derivatives). */
        double ws = st.pure[s] ? 0.0
                               : price_slope(s, indptr, grp, u, cost[s], st.g, dv,
                                             st.est[s] - SAFE * st.err[s]);
        price_out[len] = st.est[s];
        err_out[len] = st.err[s];
        voters_out[len] = st.pure[s] ? st.voters[s] : -1.0;
        int close = charge_paths(&st, la, lo, dv, s, ra, ea, rb, eb, ws, n_projects, indptr,
                                 grp, u, cost[s], tol, nb, &same);
        if (close == 2) {
            failed = 1; /* the anchor was not a clear run: prove nothing */
            break;
        }
        if (close)
            uncertain = 1;
        seq[len] = s;
    }
    /* The run at t0 ended here: every other project must be clearly unaffordable here too. */
    for (int k = 0; k < st.n_play && !failed; k++) {
        int p = st.play[k], n = 0;
        double money = 0.0, budget_err = 0.0, low = 0.0;
        for (int j = indptr[p]; j < indptr[p + 1]; j++) {
            const Group *g = &st.g[grp[j]];
            money += g->m * g->b;
            budget_err += g->m * g->e;
            low += la[grp[j]].m * la[grp[j]].b;
            n++;
        }
        if (money_near(money, budget_err, n, cost[p], tol))
            uncertain = 1;
        if (money >= cost[p]) {
            failed = 1;
            /* A guess: where the money, straight between its values at t0 and t, meets cost. */
            if (low < cost[p] && money > low)
                within = t0 + (t - t0) * (cost[p] - low) / (money - low);
        } else if (money > low) { /* ... and where it would meet it beyond t */
            ahead = fmin(ahead, t + (t - t0) * (cost[p] - money) / (money - low));
        }
    }
    *seq_len = len;
    *reach = failed ? within : ahead;
done:
    free(la);
    free(lo);
    free(dv);
    free(slope);
    free(has_slope);
    state_free(&st);
    if (failed < 0)
        return -1;
    if (failed)
        return 3;
    return uncertain ? 1 : 0;
}

/*
 * The classes of voters in the run from t that funds `order` (cost satisfaction only): groups
 * that have paid the same so far, and so hold exactly the same budget. For each round r, writes
 * to out[round_start[r] ... round_start[r + 1]) one entry of four ints for every class among the
 * winner's supporters with money left: the class, the class its members move to, their number of
 * voters, and 1 if they pay all they have, 0 if they pay the share. Class 0 is everyone at the
 * start. The exact prices then take a few rational operations per class (mes.py), instead of a
 * pass over every supporting group.
 *
 * Returns 0, 1 when a payment or a price was too close to call, 2 when a project of the order
 * was unaffordable or out_len was too small, -1 when memory ran out.
 */
int mes_float_classes(const MesInstance *in, double t, double tol, int n_order,
                      const int *order, int *round_start, int *out, int out_len)
{
    int n_groups = in->n_groups, n_projects = in->n_projects;
    const double *mult = in->mult, *cost = in->cost, *u = in->u, *inv_u = in->inv_u;
    const int *indptr = in->indptr, *grp = in->grp;
    State st;
    if (state_init(&st, n_groups, n_projects, indptr, mult, t))
        return -1;
    int nnz = indptr[n_projects];
    size_t nc = (size_t)nnz + 2; /* at most one new class per supporter per round, in all */
    int *cls = calloc((size_t)(n_groups ? n_groups : 1), sizeof(int));
    int *to = malloc(sizeof(int) * nc), *seen = malloc(sizeof(int) * nc);
    int *touched = malloc(sizeof(int) * nc), *capped = malloc(sizeof(int) * nc);
    long long *count = malloc(sizeof(long long) * nc);
    int n_cls = 1, pos = 0, status = 0;
    if (!cls || !to || !seen || !touched || !capped || !count) {
        status = -1;
        goto done;
    }
    for (size_t c = 0; c < nc; c++)
        seen[c] = -1;
    for (int r = 0; r < n_order && status != 2; r++) {
        int s = order[r], near = 0;
        if (!st.in_play[s] ||
            reprice(&st, s, indptr, grp, u, inv_u, cost, tol, &near, NULL) < 0.0) {
            status = 2;
            break;
        }
        if (near)
            status = 1;
        double rho = st.est[s];
        round_start[r] = pos;
        int n_touched = 0;
        for (int j = indptr[s]; j < indptr[s + 1]; j++) {
            int g = grp[j], c = cls[g];
            if (st.g[g].b <= 0.0)
                continue; /* spent out: pays nothing */
            if (seen[c] != r) {
                if (n_cls >= (int)nc) {
                    status = 2;
                    break;
                }
                seen[c] = r;
                to[c] = n_cls++;
                count[c] = 0;
                capped[c] = st.g[g].b <= rho * (u ? u[j] : cost[s]);
                touched[n_touched++] = c;
            }
            count[c] += (long long)mult[g];
            cls[g] = to[c];
        }
        if (status == 2 || pos + 4 * n_touched > out_len) {
            status = 2;
            break;
        }
        for (int i = 0; i < n_touched; i++) {
            int c = touched[i];
            out[pos++] = c;
            out[pos++] = to[c];
            out[pos++] = (int)count[c];
            out[pos++] = capped[c];
        }
        if (charge(&st, s, rho, st.err[s], n_projects, indptr, grp, u, cost[s], tol, NULL))
            status = 1;
    }
    if (status != 2)
        round_start[n_order] = pos;
done: /* free(NULL) does nothing, so one exit serves a failed allocation too */
    free(cls);
    free(to);
    free(seen);
    free(touched);
    free(capped);
    free(count);
    state_free(&st);
    return status;
}
