-- question: How does each product sell, come back, convert on its page and rate: revenue,
-- question: units, orders, customers, returns, page funnel and ratings side by side?
-- tables: curated.transactions, curated.clickstream, curated.product_ratings, curated.products
-- note: The SELECT of curated.product_performance (Athena: CTAS ... as <this>; build
-- note: curated.product_ratings first). Products are the catalog's plus any product id sold
-- note: (name and category empty). Sales count completed lines, returns returned or refunded
-- note: ones, over the whole history. return_rate = returns / (orders + returns),
-- note: view_to_purchase_rate = purchases / product_views, in percent, empty when the
-- note: denominator is 0. Amounts are summed as decimals (exact, in any order); rounding is
-- note: half to even, as numpy does (pipeline_lib.transform.performance is the reference).
with catalog as (
    select
        p.product_id,
        p.name,
        p.category
    from curated.products as p
    where p.product_id is not null
),

lines as (
    select
        t.transaction_id,
        t.customer_id,
        t.product_id,
        t.quantity,
        t.total_amount,
        t.status
    from curated.transactions as t
    where t.product_id is not null
),

spine as (
    select product_id from catalog
    union
    select product_id from lines
),

sales as (
    select
        product_id,
        sum(
            case
                when status = 'completed'
                    then cast(coalesce(total_amount, 0) as decimal(38, 10))
            end
        ) as revenue,
        sum(case when status = 'completed' then quantity end) as units_sold,
        count(distinct case when status = 'completed' then transaction_id end) as orders,
        count(distinct case when status = 'completed' then customer_id end) as unique_customers,
        sum(case when status in ('returned', 'refunded') then 1 else 0 end) as returns
    from lines
    group by product_id
),

page_events as (
    select
        e.product_id,
        sum(case when e.event_type = 'product_view' then 1 else 0 end) as product_views,
        sum(case when e.event_type = 'add_to_cart' then 1 else 0 end) as add_to_carts,
        sum(case when e.event_type = 'purchase' then 1 else 0 end) as purchases
    from curated.clickstream as e
    where
        e.product_id is not null
        and e.event_type in ('product_view', 'add_to_cart', 'purchase')
    group by e.product_id
),

measured as (
    select
        s.product_id,
        c.name,
        c.category,
        cast(coalesce(x.revenue, 0) as double) * 100 as revenue_cents,
        cast(coalesce(x.units_sold, 0) as bigint) as units_sold,
        cast(coalesce(x.orders, 0) as bigint) as orders,
        cast(coalesce(x.unique_customers, 0) as bigint) as unique_customers,
        cast(coalesce(x.returns, 0) as bigint) as returns,
        cast(coalesce(e.product_views, 0) as bigint) as product_views,
        cast(coalesce(e.add_to_carts, 0) as bigint) as add_to_carts,
        cast(coalesce(e.purchases, 0) as bigint) as purchases,
        cast(coalesce(r.review_count, 0) as bigint) as review_count,
        r.avg_rating,
        r.bayesian_rating
    from spine as s
    left join catalog as c on s.product_id = c.product_id
    left join sales as x on s.product_id = x.product_id
    left join page_events as e on s.product_id = e.product_id
    left join curated.product_ratings as r on s.product_id = r.product_id
),

rates as (
    select
        product_id,
        name,
        category,
        revenue_cents,
        units_sold,
        orders,
        unique_customers,
        returns,
        product_views,
        add_to_carts,
        purchases,
        review_count,
        avg_rating,
        bayesian_rating,
        case
            when orders + returns > 0
                then 100 * cast(returns as double) / cast(orders + returns as double) * 100
        end as return_basis_points,
        case
            when product_views > 0
                then 100 * cast(purchases as double) / cast(product_views as double) * 100
        end as conversion_basis_points
    from measured
),

rounded as (
    select
        product_id,
        name,
        category,
        (
            floor(revenue_cents) + case
                when revenue_cents - floor(revenue_cents) > 0.5 then 1
                when
                    revenue_cents - floor(revenue_cents) = 0.5
                    and mod(floor(revenue_cents), 2) = 1 then 1
                else 0
            end
        ) / 100 as revenue,
        units_sold,
        orders,
        unique_customers,
        returns,
        (
            floor(return_basis_points) + case
                when return_basis_points - floor(return_basis_points) > 0.5 then 1
                when
                    return_basis_points - floor(return_basis_points) = 0.5
                    and mod(floor(return_basis_points), 2) = 1 then 1
                else 0
            end
        ) / 100 as return_rate,
        product_views,
        add_to_carts,
        purchases,
        (
            floor(conversion_basis_points) + case
                when conversion_basis_points - floor(conversion_basis_points) > 0.5 then 1
                when
                    conversion_basis_points - floor(conversion_basis_points) = 0.5
                    and mod(floor(conversion_basis_points), 2) = 1 then 1
                else 0
            end
        ) / 100 as view_to_purchase_rate,
        review_count,
        avg_rating,
        bayesian_rating
    from rates
)

select
    product_id,
    name,
    category,
    revenue,
    units_sold,
    orders,
    unique_customers,
    returns,
    return_rate,
    product_views,
    add_to_carts,
    purchases,
    view_to_purchase_rate,
    review_count,
    avg_rating,
    bayesian_rating
from rounded
order by revenue desc, product_id asc
