# Solutions to the exercises of notebooks/03_mlp_image_classifier.ipynb (make solutions fills them in).

# %% exercise 03.1
# Exercise 03.1: flatten a batch of images with a tensor method, without nn.Flatten
def flatten_images(images):
    return images.flatten(start_dim=1)

# %% exercise 03.2
# Exercise 03.2: one training step on one mini-batch
def train_step(model, x, y, optimizer, loss_fn):
    loss = loss_fn(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()

# %% exercise 03.3
# Exercise 03.3: the accuracy of a batch of logits (B, 10) against the labels y (B,)
def accuracy_of(logits, y):
    return (logits.argmax(dim=1) == y).float().mean().item()

# %% exercise 03.4
# Exercise 03.4: the same loop, for the mean loss over all images of a loader
def evaluate_loss(model, loader, loss_fn):
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for x, y in loader:
            total += loss_fn(model(x), y).item() * len(y)
            count += len(y)
    return total / count
