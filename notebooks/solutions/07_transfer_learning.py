# Solutions to the exercises of notebooks/07_transfer_learning.ipynb (make solutions fills them in).

# %% exercise 07.1
# Exercise 07.1: give a ResNet a new output layer for num_classes categories, by hand
def new_head(model, num_classes):
    model.fc = nn.Linear(model.fc.in_features, num_classes)
    return model

# %% exercise 07.2
# Exercise 07.2: freeze everything but the output layer model.fc, by hand
def freeze_all_but_fc(model):
    for name, p in model.named_parameters():
        p.requires_grad = name.startswith("fc.")
    return model

# %% exercise 07.3
# Exercise 07.3: count the numbers that training will update
def count_trainable(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)

# %% exercise 07.4
# Exercise 07.4: the error rate: the fraction of images whose predicted class is not the true one
def error_rate_of(logits, labels):
    return (logits.argmax(dim=1) != labels).float().mean().item()
