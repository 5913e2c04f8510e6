"""Pure layer: records -> pandas frames -> scores, outcome metrics, charts, page models, storage markup."""
