# Solutions to the exercises of notebooks/02_linear_and_stacking.ipynb (make solutions fills them in).

# %% exercise 02.1
# Exercise 02.1: compute nn.Linear's output by hand
def linear_by_hand(x, W, b):
    return x @ W.T + b

# %% exercise 02.2
# Exercise 02.2: stack two layers with a ReLU between them, as an nn.Sequential
def make_mlp(n_in, hidden, n_out):
    return nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, n_out))

# %% exercise 02.3
# Exercise 02.3: the single layer that two stacked linear layers equal
def merge_layers(W1, b1, W2, b2):
    return W2 @ W1, W2 @ b1 + b2
