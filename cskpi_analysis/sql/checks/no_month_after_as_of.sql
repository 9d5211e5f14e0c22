-- months after as_of do not exist, so no account can churn after the end of the data
select account_id, month
from mart_account_months
where month > cast($as_of as date)
