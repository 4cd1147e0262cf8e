-- question: Which products earned the most revenue from completed sales in the last N days,
-- question: overall or within one category?
-- param: days int = 30 [1, 3660] Window length in days, ending on current_date (included).
-- param: category str = '' Only this category ('' = every category).
-- param: top_n int = 20 [1, 1000] Rows to return.
-- tables: curated.transactions, curated.products
-- note: days = 7 is current_date and the 6 days before it. The mission's text
-- note: (transaction_date >= current_date - 30) covers 31 days, current_date included: with
-- note: days = 31 and category '' this gives its answer (when no line is dated after
-- note: current_date), grouped by product_id so that two products sharing a name are not
-- note: merged.
with recent_sales as (
    select
        t.product_id,
        t.customer_id,
        t.quantity,
        t.total_amount
    from curated.transactions as t
    where
        t.transaction_month >= date_format(date_add('day', 1 - :days, current_date), '%Y-%m')
        and t.transaction_date >= date_add('day', 1 - :days, current_date)
        and t.transaction_date <= current_date
        and t.status = 'completed'
),

product_sales as (
    select
        p.name,
        p.category,
        sum(s.quantity) as total_quantity,
        round(sum(s.total_amount), 2) as total_revenue,
        count(distinct s.customer_id) as unique_customers
    from recent_sales as s
    inner join curated.products as p on s.product_id = p.product_id
    where :category = '' or p.category = :category
    group by p.product_id, p.name, p.category
),

ranked as (
    select
        name,
        category,
        total_quantity,
        total_revenue,
        unique_customers,
        row_number() over (order by total_revenue desc, name asc) as revenue_rank
    from product_sales
)

select
    name,
    category,
    total_quantity,
    total_revenue,
    unique_customers
from ranked
where revenue_rank <= :top_n
order by revenue_rank
