"""kiyaku: service-agreement terms as data, rules as data, and an evaluator that cites them."""
