//! Arrow output helpers shared by the rule modules: ordered label columns
//! (categoricals in spec order, CV7) and the output batch. Building the output
//! can only fail on a bug of ours: such errors are [`CoreError::building`].

use std::sync::Arc;

use arrow_array::types::{Int16Type, Int8Type};
use arrow_array::{ArrayRef, DictionaryArray, Int16Array, Int8Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};

use crate::error::{CoreError, Result};

/// The index type of a label column of `labels` categories: int8 up to 127
/// categories, else int16.
fn label_index(labels: usize) -> DataType {
    if labels <= i8::MAX as usize {
        DataType::Int8
    } else {
        DataType::Int16
    }
}

/// The field of a label column: an ordered dictionary of strings (its
/// categories are in the order of the rules, CV7).
pub fn label_field(name: &str, labels: usize) -> Field {
    let dict = DataType::Dictionary(Box::new(label_index(labels)), Box::new(DataType::Utf8));
    Field::new(name, dict, false).with_dict_is_ordered(true)
}

/// A label column of `codes` into `names` (every name a category, in order);
/// its type is that of [`label_field`].
pub fn labels<C: Copy + Into<i16>>(codes: Vec<C>, names: &[&str]) -> Result<ArrayRef> {
    let values = Arc::new(StringArray::from(names.to_vec()));
    let array: ArrayRef = if label_index(names.len()) == DataType::Int8 {
        let codes: Vec<i8> = codes.into_iter().map(|c| c.into() as i8).collect();
        Arc::new(
            DictionaryArray::<Int8Type>::try_new(Int8Array::from(codes), values)
                .map_err(CoreError::building)?,
        )
    } else {
        let codes: Vec<i16> = codes.into_iter().map(Into::into).collect();
        Arc::new(
            DictionaryArray::<Int16Type>::try_new(Int16Array::from(codes), values)
                .map_err(CoreError::building)?,
        )
    };
    Ok(array)
}

/// The output batch of `fields` and `columns`.
pub fn batch(fields: Vec<Field>, columns: Vec<ArrayRef>) -> Result<RecordBatch> {
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(CoreError::building)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::Array;

    #[test]
    fn label_columns_match_their_fields() {
        let few = labels(vec![1i8, 0], &["a", "b"]).unwrap();
        assert_eq!(few.data_type(), label_field("x", 2).data_type());
        let names: Vec<String> = (0..200).map(|i| format!("n{i}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let many = labels(vec![199i16, 3], &names).unwrap();
        assert_eq!(many.data_type(), label_field("x", 200).data_type());
        assert_eq!(label_field("x", 2).dict_is_ordered(), Some(true));
        assert!(
            labels(vec![5i8], &["a"]).is_err(),
            "a code outside the names"
        );
    }
}
