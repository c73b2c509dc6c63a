/*
 * One run of the Method of Equal Shares in double precision, as a screening step for Add1.
 *
 * Add1 (see mes.py) re-runs the method for per-voter budgets B/n + k, k = 0, 1, 2, ..., until an
 * outcome is exhaustive. Each run here is a plain MES run in doubles; it also reports whether
 * any decision was too close to call: a rival priced within a relative `tol` of the winner, or
 * a project whose supporters' money is within `tol` of its cost. Only runs with no such
 * decision are trusted (their decisions hold with a margin far above the rounding error of a
 * few hundred double operations); every other run is redone in exact arithmetic by the caller,
 * and the outcome that is finally returned is always recomputed exactly.
 *
 * Data: voter groups (identical ballots) with multiplicities; projects with costs; for each
 * project, its supporting groups and each one's satisfaction u (the cost under cost
 * satisfaction, the points under cardinal ballots), in compressed rows (indptr, grp, u).
 *
 * Our own code; the rule follows Peters, Pierczyński and Skowron (NeurIPS 2021) and the
 * behaviour of pabutools 1.2.3 described in mes.py.
 */
#include <math.h>
#include <stdlib.h>

/* The interface version: mesfloat.py refuses a library built from another version of this
   file (a stale build would be called with the wrong arguments). */
int mes_float_version(void)
{
    return 1;
}

typedef struct {
    double key; /* budget per unit of satisfaction */
    double b;   /* budget */
    double u;   /* satisfaction */
    double m;   /* voters in the group */
} Row;

/*
 * Price of project p: the smallest rho with sum_g m_g * min(b_g, rho * u_g) = cost.
 * Returns -1 when the supporters cannot afford it. Sets *near when the decision "affordable or
 * not" is within tol. Sets *pure when, by a margin of tol, no supporter pays all they have: the
 * price is then cost / sum(m_g u_g) exactly, and *voters is sum(m_g) over the paying groups.
 */
static double price(int p, const int *indptr, const int *grp, const double *u,
                    const double *mult, const double *b, double cost, double tol, Row *rows,
                    int *near, int *pure, double *voters)
{
    int n = 0;
    double money = 0.0, total_u = 0.0;
    for (int j = indptr[p]; j < indptr[p + 1]; j++) {
        int g = grp[j];
        double bg = b[g];
        if (bg <= 0.0)
            continue;
        rows[n].key = bg / u[j];
        rows[n].b = bg;
        rows[n].u = u[j];
        rows[n].m = mult[g];
        money += mult[g] * bg;
        total_u += mult[g] * u[j];
        n++;
    }
    if (fabs(money - cost) <= tol * cost)
        *near = 1;
    if (money < cost)
        return -1.0;
    /* The supporters who pay all they have are those whose budget per unit of satisfaction is
       below the price. Start from the price if nobody did, and move every group below it to
       "pays in full" until none is left: the price only rises, and it stops at the exact
       water level (the same fixed point a sort would find, without sorting). */
    double rho = cost / total_u, paid = 0.0, rest_u = total_u, v = 0.0;
    int m = n, capped = 0;
    for (;;) {
        int kept = 0, moved = 0;
        for (int i = 0; i < m; i++) {
            if (rows[i].key < rho) {
                paid += rows[i].m * rows[i].b;
                rest_u -= rows[i].m * rows[i].u;
                moved = 1;
            } else {
                rows[kept++] = rows[i];
            }
        }
        m = kept;
        if (!moved)
            break;
        capped = 1;
        if (m == 0 || rest_u <= 0.0) {
            /* Rounding left nobody paying the price: only when money is about the cost. */
            *near = 1;
            *pure = 0;
            return rho;
        }
        rho = (cost - paid) / rest_u;
    }
    *pure = 0;
    if (!capped) {
        double smallest = INFINITY;
        for (int i = 0; i < m; i++) {
            v += rows[i].m;
            if (rows[i].key < smallest)
                smallest = rows[i].key;
        }
        if (rho * (1.0 + tol) < smallest) {
            *pure = 1;
            *voters = v;
        }
    }
    return rho;
}

/*
 * Fill nb (n_projects * n_projects bytes) with 1 where two projects share a supporting group.
 * Returns -1 when memory ran out.
 */
int mes_float_neighbours(int n_groups, int n_projects, const int *indptr, const int *grp,
                         unsigned char *nb)
{
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

/* The working state of one run: budgets, what is known of each project's price, and which
   projects are still in play. */
typedef struct {
    double *b;      /* each group's budget */
    double *lb;     /* each project's last known price: a lower bound, exact while clean */
    int *play;      /* the projects still in play (the first n_play entries) */
    int n_play;
    int *pure;      /* from the last exact pricing: no supporter paid all they had */
    double *voters; /* ... and then the number of paying voters */
    char *clean;    /* the last price is exact: no supporter has paid since */
    char *in_play;
    Row *rows;
} State;

static void state_free(State *st)
{
    free(st->b);
    free(st->lb);
    free(st->play);
    free(st->pure);
    free(st->voters);
    free(st->clean);
    free(st->in_play);
    free(st->rows);
}

/* Every group starts with budget t; every project is in play. Returns -1 out of memory. */
static int state_init(State *st, int n_groups, int n_projects, const int *indptr, double t)
{
    int max_deg = 0;
    for (int p = 0; p < n_projects; p++)
        if (indptr[p + 1] - indptr[p] > max_deg)
            max_deg = indptr[p + 1] - indptr[p];
    size_t np = (size_t)(n_projects ? n_projects : 1);
    st->b = malloc(sizeof(double) * (size_t)(n_groups ? n_groups : 1));
    st->lb = malloc(sizeof(double) * np);
    st->play = malloc(sizeof(int) * np);
    st->pure = calloc(np, sizeof(int));
    st->voters = calloc(np, sizeof(double));
    st->clean = calloc(np, 1);
    st->in_play = malloc(np);
    st->rows = malloc(sizeof(Row) * (size_t)(max_deg ? max_deg : 1));
    if (!st->b || !st->lb || !st->play || !st->pure || !st->voters || !st->clean ||
        !st->in_play || !st->rows) {
        state_free(st);
        return -1;
    }
    for (int g = 0; g < n_groups; g++)
        st->b[g] = t;
    for (int p = 0; p < n_projects; p++) {
        st->lb[p] = 0.0;
        st->play[p] = p;
        st->in_play[p] = 1;
    }
    st->n_play = n_projects;
    return 0;
}

/*
 * Fund project s at price rho: each supporter pays min(budget, rho * u). Returns 1 when some
 * budget was about equal to its share (whether anything is left, and so whether the voter still
 * counts as a supporter later, is then too close to call), else 0.
 */
static int charge(State *st, int s, double rho, int n_projects, const int *indptr,
                  const int *grp, const double *u, double tol, const unsigned char *nb)
{
    int close = 0;
    double *b = st->b;
    for (int j = indptr[s]; j < indptr[s + 1]; j++) {
        int g = grp[j];
        double share = rho * u[j];
        if (fabs(b[g] - share) <= tol * share)
            close = 1;
        b[g] = b[g] <= share ? 0.0 : b[g] - share;
    }
    st->in_play[s] = 0;
    for (int k = 0; k < st->n_play; k++)
        if (st->play[k] == s) {
            st->play[k] = st->play[--st->n_play];
            break;
        }
    if (nb != NULL) { /* the projects sharing a supporter with s have new prices */
        const unsigned char *row = nb + (size_t)s * (size_t)n_projects;
        for (int k = 0; k < st->n_play; k++)
            if (row[st->play[k]])
                st->clean[st->play[k]] = 0;
    }
    return close;
}

/* Price p exactly into st->lb[p] (and its pure flag); returns the price or -1 (unaffordable,
   then p leaves play). Sets *near as price() does. */
static double reprice(State *st, int p, const int *indptr, const int *grp, const double *u,
                      const double *mult, const double *cost, double tol, int *near,
                      const unsigned char *nb)
{
    double rho = price(p, indptr, grp, u, mult, st->b, cost[p], tol, st->rows, near,
                       &st->pure[p], &st->voters[p]);
    if (rho < 0.0) {
        st->in_play[p] = 0;
        return rho;
    }
    st->lb[p] = rho;
    st->clean[p] = nb != NULL;
    return rho;
}

/*
 * Run MES with per-voter budget t. Writes the funded projects, in order, to seq, their number to
 * *seq_len, and for each round the winner's price to price_out and, when that price is pure
 * (see below), its number of paying voters to voters_out (else -1).
 *
 * Returns 0 when every decision was clear, 1 when some was too close to call, 2 when the
 * interval check below failed, -1 when memory ran out.
 *
 * With cost satisfaction (cost_sat), a project that no supporter pays in full costs each of its
 * N paying supporters rho = 1/N per unit of cost, exactly: two such projects tie exactly when
 * their N agree, and then the lower rank (the tie-break order) wins, as in the exact rule.
 * Any other pair of prices within tol of each other makes the run "too close to call".
 *
 * Interval check (when check_len >= 0): check_seq, check_price and check_voters describe a run
 * at a smaller budget t0 (check_len rounds). For a fixed order of funding, every budget can only
 * grow with the starting budget and every price can only fall, so if this run funds the same
 * projects in the same order and, in every round, every other project still in play costs more
 * here than the winner cost at t0, then every budget between t0 and t gives that same run.
 */
int mes_float_run(int n_groups, const double *mult, int n_projects, const double *cost,
                  const int *indptr, const int *grp, const double *u, const int *rank,
                  int cost_sat, double t, double tol, int *seq, int *seq_len, double *price_out,
                  double *voters_out, int check_len, const int *check_seq,
                  const double *check_price, const double *check_voters,
                  const unsigned char *nb)
{
    State st;
    if (state_init(&st, n_groups, n_projects, indptr, t))
        return -1;
    double *lb = st.lb;
    int *order = st.play, *pure = st.pure;
    double *voters = st.voters;
    int len = 0, uncertain = 0, failed = 0;
    while (st.n_play > 0) {
        int n_alive = st.n_play;
        /* Projects in play by their last known price (a lower bound: prices only rise). The
           list is nearly sorted from the last round, so insertion sort is cheap. */
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
            floor_price = check_price[len] * (1.0 + tol);
        double best = INFINITY;
        int best_p = -1, kept = 0;
        int i = 0;
        for (; i < n_alive; i++) {
            int p = order[i];
            if (best_p >= 0 && lb[p] > best * (1.0 + tol) && lb[p] > floor_price)
                break;
            double rho = lb[p];
            if (!st.clean[p]) {
                int near = 0;
                rho = reprice(&st, p, indptr, grp, u, mult, cost, tol, &near, nb);
                if (near)
                    uncertain = 1;
                if (rho < 0.0)
                    continue; /* unaffordable now, so for ever: drop it */
            }
            order[kept++] = p;
            if (rho < best) {
                best = rho;
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
        /* Every rival within tol of the best must tie with it exactly, as pure prices with the
           same number of paying voters; the tie-break then decides. */
        for (int k = 0; k < looked; k++) {
            int p = order[k];
            if (p == best_p || lb[p] > best * (1.0 + tol))
                continue;
            if (cost_sat && pure[p] && pure[best_p] && voters[p] == voters[best_p]) {
                if (rank[p] < rank[best_p])
                    best_p = p;
            } else {
                uncertain = 1;
            }
        }
        best = lb[best_p];
        if (check_len >= 0 && !failed) {
            if (len >= check_len || check_seq[len] != best_p) {
                failed = 1;
            } else {
                /* Every rival must cost more here than the winner did at t0. A rival whose
                   price here ties the winner's price at t0 as pure prices with the same N
                   costs at least that throughout, and then loses the tie-break if it ranks
                   after the winner. */
                for (int k = 0; k < looked && !failed; k++) {
                    int p = order[k];
                    if (p == best_p || lb[p] > floor_price)
                        continue;
                    if (!(cost_sat && pure[p] && check_voters[len] >= 0.0 &&
                          voters[p] == check_voters[len] && rank[best_p] < rank[p]))
                        failed = 1;
                }
            }
        }
        price_out[len] = best;
        voters_out[len] = pure[best_p] ? voters[best_p] : -1.0;
        if (charge(&st, best_p, best, n_projects, indptr, grp, u, tol, nb))
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
 * A cheap test of whether project p's price is above theta, without finding the price.
 * F(x) = sum_g m_g * min(b_g, x * u_g) is the money the supporters give at price x; the price is
 * the least x with F(x) = cost. If F(theta) < cost, the price is above theta, and as F is concave
 * its tangent at theta gives a better lower bound: theta + (cost - F(theta)) / F'(theta+).
 * Returns that bound (infinity when no supporter has money left beyond theta), or -1 when the
 * price may be theta or less.
 */
static double price_above(int p, const int *indptr, const int *grp, const double *u,
                          const double *mult, const double *b, double cost, double theta)
{
    double given = 0.0, slope = 0.0;
    for (int j = indptr[p]; j < indptr[p + 1]; j++) {
        int g = grp[j];
        double cap = theta * u[j], bg = b[g], m = mult[g];
        if (bg < cap) {
            given += m * bg;
        } else {
            given += m * cap;
            slope += m * u[j];
        }
    }
    if (given >= cost)
        return -1.0;
    if (slope <= 0.0)
        return INFINITY;
    return theta + (cost - given) / slope;
}

/*
 * The interval check of mes_float_run alone, following the order of the run at t0 instead of
 * searching for winners: in each round the run-at-t0 winner is priced exactly, and every other
 * project still in play only has to be shown dearer here than that winner was at t0 (a cheap
 * test, see price_above). After the last round nothing else may be affordable here.
 *
 * Returns 0 when every budget between t0 and t is proved to give that run (seq, price_out and
 * voters_out then describe the run at t), 1 when a decision was too close to call, 3 when the
 * proof failed (the outputs are then incomplete), -1 when memory ran out.
 */
int mes_float_check(int n_groups, const double *mult, int n_projects, const double *cost,
                    const int *indptr, const int *grp, const double *u, const int *rank,
                    int cost_sat, double t, double tol, int *seq, int *seq_len,
                    double *price_out, double *voters_out, int check_len,
                    const int *check_seq, const double *check_price,
                    const double *check_voters, const unsigned char *nb)
{
    State st;
    if (state_init(&st, n_groups, n_projects, indptr, t))
        return -1;
    double *lb = st.lb;
    int uncertain = 0, failed = 0, len = 0;
    for (; len < check_len && !failed; len++) {
        int s = check_seq[len], near = 0;
        if (!st.in_play[s] ||
            (!st.clean[s] && reprice(&st, s, indptr, grp, u, mult, cost, tol, &near, nb) < 0.0)) {
            failed = 1;
            break;
        }
        if (near)
            uncertain = 1;
        double best = lb[s], theta = check_price[len] * (1.0 + tol);
        if (best > theta) { /* prices cannot rise with the budget: only rounding does this */
            failed = 1;
            break;
        }
        for (int k = 0; k < st.n_play && !failed; k++) {
            int p = st.play[k];
            if (p == s || lb[p] > theta)
                continue;
            if (!st.clean[p]) {
                double above = price_above(p, indptr, grp, u, mult, st.b, cost[p], theta);
                if (above >= 0.0) {
                    if (above > lb[p])
                        lb[p] = above;
                    continue;
                }
                near = 0;
                double rho = reprice(&st, p, indptr, grp, u, mult, cost, tol, &near, nb);
                if (near)
                    uncertain = 1;
                if (rho < 0.0) { /* unaffordable now, so for ever */
                    st.play[k--] = st.play[--st.n_play];
                    continue;
                }
                if (rho > theta)
                    continue;
            }
            /* As cheap as the winner was at t0: only an exact tie of pure prices that p loses
               on the tie-break keeps the order (see mes_float_run). */
            if (!(cost_sat && st.pure[p] && check_voters[len] >= 0.0 &&
                  st.voters[p] == check_voters[len] && rank[s] < rank[p]))
                failed = 1;
        }
        if (failed)
            break;
        price_out[len] = best;
        voters_out[len] = st.pure[s] ? st.voters[s] : -1.0;
        if (charge(&st, s, best, n_projects, indptr, grp, u, tol, nb))
            uncertain = 1;
        seq[len] = s;
    }
    /* The run at t0 ended here: every other project must be unaffordable here too. */
    for (int k = 0; k < st.n_play && !failed; k++) {
        int p = st.play[k];
        double money = 0.0;
        for (int j = indptr[p]; j < indptr[p + 1]; j++)
            money += mult[grp[j]] * st.b[grp[j]];
        if (fabs(money - cost[p]) <= tol * cost[p])
            uncertain = 1;
        if (money >= cost[p])
            failed = 1;
    }
    *seq_len = len;
    state_free(&st);
    if (failed)
        return 3;
    return uncertain ? 1 : 0;
}
