-- question: Which products are bought together: every ordered pair seen in at least
-- question: affinity_min_pair_count baskets, with support, confidence, lift and excess baskets?
-- param: affinity_min_pair_count int = 3 [1, 1000000000] Baskets a pair needs to be kept.
-- tables: curated.transactions
-- note: The SELECT of curated.product_affinity (Athena: CTAS ... as <this>). A basket is the
-- note: set of distinct products of one customer's completed lines on one day, over the
-- note: whole history. support = pair_count / baskets, confidence = pair_count / baskets
-- note: with product_a, lift = confidence / (baskets with product_b / baskets),
-- note: excess_baskets = pair_count - baskets with a * baskets with b / baskets. The order
-- note: is the table's meaning: excess_baskets, then confidence (both descending), then the
-- note: ids (pipeline_lib.transform.affinity is the reference the tests compare with).
with items as (
    select distinct
        t.customer_id,
        t.transaction_date,
        t.product_id
    from curated.transactions as t
    where t.status = 'completed'
),

baskets as (
    select distinct
        customer_id,
        transaction_date
    from items
),

basket_total as (
    select count(*) as baskets
    from baskets
),

product_baskets as (
    select
        product_id,
        count(*) as baskets
    from items
    group by product_id
),

pairs as (
    select
        a.product_id as product_a,
        b.product_id as product_b,
        count(*) as pair_count
    from items as a
    inner join items as b
        on
            a.customer_id = b.customer_id
            and a.transaction_date = b.transaction_date
            and a.product_id != b.product_id
    group by a.product_id, b.product_id
    having count(*) >= :affinity_min_pair_count
),

measured as (
    select
        p.product_a,
        p.product_b,
        cast(p.pair_count as bigint) as pair_count,
        cast(p.pair_count as double) / n.baskets as support,
        cast(p.pair_count as double) / pa.baskets as confidence,
        cast(pa.baskets as double) as baskets_a,
        cast(pb.baskets as double) as baskets_b,
        cast(n.baskets as double) as baskets
    from pairs as p
    inner join product_baskets as pa on p.product_a = pa.product_id
    inner join product_baskets as pb on p.product_b = pb.product_id
    cross join basket_total as n
)

select
    product_a,
    product_b,
    pair_count,
    support,
    confidence,
    confidence / (baskets_b / baskets) as lift,
    pair_count - baskets_a * baskets_b / baskets as excess_baskets
from measured
order by excess_baskets desc, confidence desc, product_a asc, product_b asc
